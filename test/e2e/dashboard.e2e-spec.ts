import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { validateSkillDir } from '#src/modules/skills/validator/index';
import { cliMain, closedPort } from '../support/cli-run';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import type { JobStepInfo } from '#src/client/protocol';
import { allEvents, Rest, waitForStatus } from '../support/jobs';
import { NO_PROMPTS } from '../support/skill-create-prompts';
import { startTestServer, TestServer } from '../support/test-server';
import { TmuxTerminal } from '../support/tmux';
import { sleep, waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';

/**
 * The built dashboard (`node dist/cli/main.js dashboard`) in a real terminal: tmux at 120×40, keys
 * with send-keys, the screen with capture-pane, against a real server.
 */
const run = promisify(execFile);

function dashboard(
  server: TestServer,
  token: string,
  size?: { cols: number; rows: number },
): Promise<TmuxTerminal> {
  return TmuxTerminal.start(
    'sf-dash',
    [process.execPath, cliMain, 'dashboard', '--url', server.wsUrl, '--token', token],
    size,
  );
}

/** The seqs of the event-log lines on screen (`│#12 21:00:01 step.started …`). */
function visibleSeqs(screen: string): number[] {
  return [...screen.matchAll(/#(\d+) \d\d:\d\d:\d\d /g)].map((m) => Number(m[1]));
}

beforeAll(() => {
  if (!fs.existsSync(cliMain)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first.');
  }
});

describe(`the dashboard in a terminal (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  const terminals: TmuxTerminal[] = [];

  beforeAll(async () => {
    // A fixed port, so the restarted server is where the dashboard reconnects to.
    const port = await closedPort();
    server = await startTestServer({ env: { LLM_PROVIDER: 'offline', PORT: String(port) } });
    rest = restClient(server.httpUrl, server.adminToken);
  }, 120_000);
  afterAll(async () => {
    for (const terminal of terminals) await terminal.kill();
    await server?.stop();
  });

  it('starts a job, answers clarify and confirm in the Inbox, survives a server restart, and promotes the draft', async () => {
    const tui = await dashboard(server, server.adminToken);
    terminals.push(tui);
    await tui.waitForText('connected');
    expect(await tui.screen()).toContain('1 Jobs');

    // New job from `n`: the task, confirm turned on (clarify and structure_fix are on already).
    await tui.keys('n');
    await tui.waitForText('New job');
    await tui.type('asyncio');
    // Tab past auto-approve, style and the (empty) sources to the buttons.
    await tui.keys('Tab', 'Right', 'Right', 'Space', 'Tab', 'Tab', 'Tab', 'Tab');
    await tui.waitFor((s) => s.includes('[x] confirm'), 'confirm picked');
    await tui.keys('Enter');
    await tui.waitForText('created job');
    // The new job opens in its detail, which says that no model is configured (issue 17).
    await tui.waitForText('No model configured');
    await tui.keys('1');
    const { body } = await rest.get('/jobs');
    expect(body.jobs).toHaveLength(1);
    const jobId = body.jobs[0].id as string;
    await tui.waitFor(
      (s) => new RegExp(`${jobId.slice(0, 8)} asyncio\\s+waiting`).test(s),
      'the job waiting',
    );

    // Inbox: answer the clarify question.
    await tui.keys('2');
    await tui.waitFor((s) => /clarify\s+A few questions/.test(s), 'the clarify prompt');
    await tui.keys('Enter');
    await tui.waitForText('question 1 of');
    await tui.type('Python developers writing asyncio services');
    await tui.keys('Tab', 'Enter');
    await tui.waitForText('answered clarify');
    await tui.waitFor((s) => /confirm\s+Is this what you meant/.test(s), 'the confirm prompt');

    // Restart the server under the dashboard while the job waits at confirm.
    const reconnecting = tui.waitFor(
      (s) => /reconnecting \(attempt \d+\)/.test(s),
      'reconnecting',
      30_000,
    );
    server = await server.restart();
    await reconnecting;
    await tui.waitFor((s) => s.includes(' connected '), 'connected again', 30_000);
    rest = restClient(server.httpUrl, server.adminToken);

    // Confirm: the focus starts on the summary; tab to the buttons, Proceed.
    await tui.waitFor(
      (s) => /confirm\s+Is this what you meant/.test(s),
      'the confirm prompt again',
    );
    await tui.keys('Enter');
    await tui.waitForText('[ Proceed ]');
    // Offline the payload offers no revise, so there is no feedback field: tab goes to the buttons.
    await tui.keys('Tab', 'Enter');
    await tui.waitForText('answered confirm');

    // Jobs: the job completes; its event log has every seq once.
    await tui.keys('1');
    await waitForStatus(rest, jobId, 'completed', 30_000);
    const events = await allEvents(rest, jobId);
    const last = events.at(-1)!.seq;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const screen = await tui.waitFor(
      (s) => s.includes(`Events (${last}, seq 1-${last})`) && s.includes('job.completed'),
      `the full event log (${last} events)`,
    );
    expect(screen).toMatch(new RegExp(`${jobId.slice(0, 8)} asyncio\\s+completed`));
    const seqs = visibleSeqs(screen);
    expect(seqs.length).toBeGreaterThan(5);
    expect(seqs).toEqual(seqs.map((_, i) => last - seqs.length + 1 + i));

    // Skills: the draft is marked; promote it.
    await tui.keys('3');
    await tui.waitForText('[draft]');
    await tui.keys('Down');
    await tui.waitForText('p promotes this draft');
    await tui.keys('p');
    await tui.waitForText('into the taxonomy?');
    await tui.keys('y');
    // With no model the draft is a scaffold nobody edited (issue 17): a second confirmation.
    await tui.waitForText('Promote the scaffold as it is?');
    await tui.keys('y');
    const promoted = await tui.waitFor((s) => /Promoted to \S+/.test(s), 'the promotion');
    const skillId = /Promoted to (\S+)/.exec(promoted)![1];
    const skillDir = path.join(server.config.skillsRoot, skillId);
    expect(fs.existsSync(path.join(skillDir, 'SKILL.md'))).toBe(true);
    expect((await validateSkillDir(skillDir)).valid).toBe(true);
    const { body: listed } = await rest.get('/skills');
    expect(listed.skills).toContainEqual(
      expect.objectContaining({ id: skillId, status: 'active' }),
    );

    // Ctrl-C quits.
    await tui.keys('C-c');
    await tui.waitForText('[exited 0]');
  });

  it('at 80×24: opens a job, shows its timeline, scrolls its log, rewinds it to plan and shows the new run, and the whole help', async () => {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: { task: 'Create a skill for terraform modules', options: { prompts: NO_PROMPTS } },
    });
    const jobId = created.body.job.id as string;
    await waitForStatus(rest, jobId, 'completed', 30_000);
    const { body: recorded } = await rest.get(`/jobs/${jobId}/steps`);
    const names = (recorded.steps as JobStepInfo[]).map((s) => s.name);
    const plan = names.indexOf('plan');
    expect(plan).toBeGreaterThan(0);
    const last = (await allEvents(rest, jobId)).at(-1)!.seq;

    const tui = await dashboard(server, server.adminToken, { cols: 80, rows: 24 });
    terminals.push(tui);
    await tui.waitForText('connected');
    // The list shows the part of the task that tells jobs apart, the job done at 100 %.
    const id = jobId.slice(0, 8);
    await tui.waitFor(
      (s) => new RegExp(`${id} terraform modules\\s+completed\\s+-\\s+\\[#+\\] 100%`).test(s),
      'the completed job in the list',
    );

    // Enter: the timeline (every recorded step) and the log (every event, the newest shown).
    await tui.keys('Enter');
    let screen = await tui.waitFor(
      (s) => s.includes(`Steps (${names.length})`) && s.includes(`Events (${last}, seq 1-${last})`),
      'the timeline and the event log',
    );
    expect(screen).toMatch(/requirements(#\d+)?\s+completed/);
    expect(screen).toContain(`#${last} `);
    expect(screen.split('\n')[0]).toContain('w rewind');
    expect(screen.split('\n')[0]).not.toContain('c cancel');

    // PgUp scrolls the log back; End follows it again.
    await tui.keys('PPage');
    screen = await tui.waitFor(
      (s) => !s.includes(`#${last} `) && new RegExp(`of ${last} \\(PgUp PgDn End\\)`).test(s),
      'the log scrolled back',
    );
    await tui.keys('End');
    await tui.waitForText(`#${last} `);

    // Rewind to plan after the confirmation; the new run arrives on the same screen.
    for (let i = 0; i < plan; i++) await tui.keys('Down');
    await tui.keys('w');
    await tui.waitForText(`Rewind job ${id} to plan?`);
    await tui.keys('y');
    await tui.waitForText(`rewound job ${id} to plan`);
    await waitFor(
      async () => {
        const events = await allEvents(rest, jobId);
        return events.some((e) => e.seq > last && e.type === 'job.rewound') &&
          events.at(-1)!.type === 'job.completed'
          ? events
          : false;
      },
      { timeoutMs: 30_000 },
    );
    const after = (await allEvents(rest, jobId)).at(-1)!.seq;
    expect(after).toBeGreaterThan(last + 1);
    await tui.waitFor(
      (s) => s.includes(`Events (${after}, seq 1-${after})`) && s.includes(`#${after} `),
      'the new run on the log',
      30_000,
    );
    // Scrolled back, the log holds the one job.rewound right after the first run's last event.
    let rewound = '';
    for (let page = 0; page < 30 && !rewound.includes('job.rewound to plan'); page++) {
      await tui.keys('PPage');
      await sleep(150);
      rewound = await tui.screen();
    }
    expect(rewound).toContain(`#${last + 1} `);
    expect(rewound).toMatch(new RegExp(`#${last + 1} \\d\\d:\\d\\d:\\d\\d job\\.rewound to plan`));
    await tui.keys('End');

    // The help, at 80×24, scrolls to its last line.
    await tui.keys('?');
    screen = await tui.waitFor((s) => /Help: keys . lines 1-\d+ of \d+/.test(s), 'the help');
    const total = /of (\d+)/.exec(/lines 1-\d+ of \d+/.exec(screen)![0])![1];
    await tui.keys('NPage', 'NPage', 'NPage');
    await tui.waitFor(
      (s) => s.includes(`-${total} of ${total}`) && s.includes('close the form without answering'),
      'the end of the help',
    );
    await tui.keys('x', 'q');
    await tui.waitForText('[exited 0]');
  });

  it('exits 2 and says how to start a server when none answers', async () => {
    const port = await closedPort();
    const tui = await TmuxTerminal.start('sf-dash', [
      process.execPath,
      cliMain,
      'dashboard',
      '--url',
      `ws://127.0.0.1:${port}/ws`,
      '--token',
      'sf_unused',
    ]);
    terminals.push(tui);
    const screen = await tui.waitForText('[exited 2]');
    expect(screen).toContain(`No server answers at ws://127.0.0.1:${port}/ws`);
    expect(screen).toContain('npm start');
  });

  it('shows offline with the 4401 when `skill-fleet tokens revoke` revokes its token', async () => {
    const admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    try {
      const created = await admin.request('tokens.create', { userId: 'erin', role: 'user' });
      const { id, token } = created.payload as { id: string; token: string };
      const tui = await dashboard(server, token);
      terminals.push(tui);
      await tui.waitForText('connected');
      await tui.waitForText('user user');
      // `skill-fleet tokens revoke` (issue 9) closes the dashboard's socket with 4401.
      const revoked = await run(process.execPath, [
        cliMain,
        'tokens',
        'revoke',
        id,
        '--url',
        server.wsUrl,
        '--token',
        server.adminToken,
      ]);
      expect(revoked.stderr).toBe('');
      const screen = await tui.waitFor(
        (s) => s.includes('offline') && s.includes('(4401)'),
        'offline with 4401',
      );
      expect(screen).toContain('last error: UNAUTHORIZED');
      // It stays up, offline, until the person quits.
      await waitFor(async () => (await tui.screen()).includes('offline'));
      await tui.keys('q');
      await tui.waitForText('[exited 0]');
    } finally {
      admin.close();
    }
  });
});
