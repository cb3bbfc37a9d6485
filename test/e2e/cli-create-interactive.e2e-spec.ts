import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_VARIABLE_NAMES } from '#src/config/environment';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { Rest, waitForStatus } from '../support/jobs';
import { cliMain, cliWorkDir, removeCliWorkDirs, runCliToEnd } from '../support/cli-run';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';

/**
 * `skill-fleet create` at a real terminal: the built CLI runs in a tmux pane, a person's keys are sent
 * with send-keys and the screen is read back. Numbered choices, free text, `$EDITOR` on the preview
 * and `:cancel`, against a test server with the offline provider.
 */
const sessions: string[] = [];

interface Pane {
  /** Everything the pane printed so far (its history included). */
  screen(): string;
  /** Waits until the screen matches, and returns it. */
  until(pattern: RegExp, timeoutMs?: number): Promise<string>;
  type(text: string): void;
  /** Sends one key by tmux name (`C-c`). */
  key(name: string): void;
}

const quote = (value: string): string => `'${value.replace(/'/g, "'\\''")}'`;

/** Runs the CLI with `args` in a new 120x40 tmux pane; `EXIT=<code>` is printed when it ends. */
function openPane(args: string[], env: Record<string, string>): Pane {
  const dir = cliWorkDir();
  const session = `sf-create-${process.pid}-${sessions.length}`;
  const script = path.join(dir, 'run.sh');
  fs.writeFileSync(
    script,
    [
      ...ENVIRONMENT_VARIABLE_NAMES.map((name) => `unset ${name}`),
      'unset NODE_OPTIONS',
      'export TERM=xterm-256color',
      ...Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`),
      `cd ${quote(dir)}`,
      `${quote(process.execPath)} ${quote(cliMain)} ${args.map(quote).join(' ')}`,
      'echo "EXIT=$?"',
      'sleep 600',
    ].join('\n'),
  );
  execFileSync('tmux', [
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '40',
    `sh ${script}`,
  ]);
  sessions.push(session);
  const screen = (): string =>
    execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-2000', '-t', session], {
      encoding: 'utf8',
    });
  return {
    screen,
    until: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.test(screen()) && screen(), { timeoutMs, intervalMs: 100 }),
    type: (text) => {
      execFileSync('tmux', ['send-keys', '-t', session, '-l', text]);
      execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
    },
    key: (name) => execFileSync('tmux', ['send-keys', '-t', session, name]),
  };
}

/** Occurrences of `pattern` (global) on the screen. */
const count = (screen: string, pattern: RegExp): number => (screen.match(pattern) ?? []).length;

beforeAll(() => {
  if (!fs.existsSync(cliMain)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first.');
  }
});

afterAll(() => {
  for (const session of sessions) {
    try {
      execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  removeCliWorkDirs();
});

describe(`skill-fleet create at a terminal (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let editor: string;
  const connect = (): string[] => ['--url', server.wsUrl, '--token', server.adminToken];

  beforeAll(async () => {
    server = await startTestServer({ env: { LLM_PROVIDER: 'offline' } });
    rest = restClient(server.httpUrl, server.adminToken);
    // A fake $EDITOR: a person renames the first section and adds a line, then saves.
    editor = path.join(cliWorkDir(), 'editor.sh');
    fs.writeFileSync(
      editor,
      '#!/bin/sh\nsed -i "s/^## When to Use$/## When to Use It/" "$1"\necho "Edited at the terminal." >> "$1"\n',
      { mode: 0o755 },
    );
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  const jobIdOn = (screen: string): string => /Job (\S+) created/.exec(screen)![1];

  it('asks every prompt here: free text, numbered choices, $EDITOR for the preview', async () => {
    const pane = openPane(
      ['create', 'write a skill for something', '--prompts', 'all', ...connect()],
      { EDITOR: editor },
    );
    // clarify: one free-text question (the offline rules find the request broad).
    await pane.until(/1\. .*broad.*\n> $/m);
    pane.type('Python packaging with uv, for beginners');

    // confirm: a wrong number is asked again, then Proceed. With no model (issue 17) the menu offers
    // typed edits, not free-text revise feedback.
    let screen = await pane.until(/Is this what you meant\?[\s\S]*Choose \[1-3\]: $/m);
    expect(screen).toMatch(
      / {2}1\) Proceed\n {2}2\) Edit a field \(name, description, level, topics, category\)\n {2}3\) Cancel/,
    );
    pane.type('7');
    await pane.until(/Type a number from 1 to 3\.\nChoose \[1-3\]: $/m);
    pane.type('1');

    // preview: the streamed SKILL.md went by, then the menu (no refine without a model); 2 opens $EDITOR.
    screen = await pane.until(/Review the generated SKILL\.md[\s\S]*Choose \[1-4\]: $/m);
    expect(screen).toContain('2) Edit it in $EDITOR');
    expect(screen).toContain('This is a scaffold');
    // Streamed text: the draft's frontmatter was printed as generate wrote it (before the preview).
    const streamed = screen.slice(0, screen.indexOf('Review the generated SKILL.md'));
    expect(streamed).toMatch(/^name: [a-z0-9-]+$/m);
    pane.type('2');

    // validate: the edited content was validated (no OFFLINE_SCAFFOLD now); proceed.
    screen = await pane.until(/Review the validation report[\s\S]*Choose \[1-2\]: $/m);
    const report = screen.slice(screen.lastIndexOf('Review the validation report'));
    expect(report).not.toContain('written from templates without a model');
    expect(screen).toMatch(/^Valid, quality \d/m);
    pane.type('1');

    screen = await pane.until(/EXIT=\d+/, 30_000);
    expect(screen).toContain('EXIT=0');
    expect(screen).toMatch(/^Draft [a-z0-9-]+ written to .+_drafts/m);
    expect(screen).toMatch(/^Report: valid, quality [\d.]+, 0 errors, \d+ warnings$/m);

    const jobId = jobIdOn(screen);
    const job = (await rest.get(`/jobs/${jobId}`)).body.job;
    expect(job.status).toBe('completed');
    const draft = fs.readFileSync(path.join(job.result.draftPath as string, 'SKILL.md'), 'utf8');
    expect(draft).toContain('## When to Use It');
    expect(draft.trimEnd().endsWith('Edited at the terminal.')).toBe(true);

    const { prompts } = (await rest.get(`/prompts?jobId=${jobId}&status=answered`)).body as {
      prompts: { kind: string; answer: Record<string, unknown>; answeredBy: string }[];
    };
    const answerOf = (kind: string) => prompts.find((p) => p.kind === kind)?.answer;
    expect(answerOf('clarify')).toEqual({
      answers: { q1: 'Python packaging with uv, for beginners' },
    });
    expect(answerOf('confirm')).toEqual({ action: 'proceed' });
    expect(answerOf('preview')).toEqual({ action: 'proceed', content: draft });
    expect(answerOf('validate')).toEqual({ action: 'proceed' });
    expect(count(screen, /^== /gm)).toBe(4);
  }, 90_000);

  it('offers no refine with feedback without a model, and :cancel cancels the job (exit 1)', async () => {
    const pane = openPane(
      ['create', 'Python asyncio basics', '--prompts', 'preview', ...connect()],
      {
        EDITOR: editor,
      },
    );
    const screen0 = await pane.until(/Review the generated SKILL\.md[\s\S]*Choose \[1-4\]: $/m);
    expect(screen0).toContain('No model configured');
    expect(screen0).not.toContain('Refine: say what to improve');
    pane.type(':cancel');
    const screen = await pane.until(/EXIT=\d+/, 30_000);
    expect(screen).toContain('EXIT=1');
    const jobId = jobIdOn(screen);
    expect(screen).toMatch(new RegExp(`Job ${jobId} cancelled`));
    await waitForStatus(rest, jobId, 'cancelled');
    const { prompts } = (await rest.get(`/prompts?jobId=${jobId}&status=answered`)).body as {
      prompts: { kind: string; answer: Record<string, unknown> }[];
    };
    expect(prompts.map((p) => p.answer)).toEqual([{ action: 'cancel' }]);
  }, 90_000);

  it('--auto-approve at a terminal streams the draft and asks nothing', async () => {
    const pane = openPane(
      ['create', 'Python asyncio basics', '--prompts', 'all', '--auto-approve', ...connect()],
      {},
    );
    const screen = await pane.until(/EXIT=\d+/, 30_000);
    expect(screen).toContain('EXIT=0');
    expect(screen).not.toContain('Choose');
    const streamed = screen.slice(0, screen.indexOf('\ncompleted\n'));
    expect(streamed).toMatch(/^name: [a-z0-9-]+$/m);
    expect(streamed).toMatch(/^## When to Use$/m);
  }, 60_000);

  it('Ctrl-C at a question stops following and says how to answer or cancel (exit 1)', async () => {
    const pane = openPane(['create', 'write a skill for something', ...connect()], {});
    const asked = await pane.until(/1\. .*broad.*\n> $/m);
    pane.key('C-c');
    const screen = await pane.until(/EXIT=\d+/);
    expect(screen).toContain('EXIT=1');
    const jobId = jobIdOn(asked);
    expect(screen).toMatch(/skill-fleet: Stopped following job \S+; it still waits for prompt \S+/);
    expect(screen).toContain(`or cancel the job: skill-fleet jobs cancel ${jobId}`);
    expect((await rest.get(`/jobs/${jobId}`)).body.job.status).toBe('waiting');
    await rest.post(`/jobs/${jobId}/cancel`);
  }, 60_000);

  it('a job cancelled elsewhere while a question is open ends the command (exit 1)', async () => {
    const pane = openPane(['create', 'write a skill for something', ...connect()], {});
    const asked = await pane.until(/1\. .*broad.*\n> $/m);
    const jobId = jobIdOn(asked);
    await rest.post(`/jobs/${jobId}/cancel`);
    const screen = await pane.until(/EXIT=\d+/);
    expect(screen).toContain('EXIT=1');
    expect(screen).toMatch(new RegExp(`^Job ${jobId} cancelled`, 'm'));
    expect(screen).not.toContain('Stopped following');
  }, 60_000);

  it('a prompt answered elsewhere is taken back, and the next one is asked here', async () => {
    const pane = openPane(
      ['create', 'write a skill for something', '--prompts', 'clarify,confirm', ...connect()],
      {},
    );
    const asked = await pane.until(/1\. .*broad.*\n> $/m);
    const jobId = jobIdOn(asked);
    const { body } = await rest.get(`/prompts?jobId=${jobId}&status=open`);
    const clarify = (body.prompts as { id: string }[])[0];
    const answered = await rest.post(`/prompts/${clarify.id}/answer`, {
      answer: { answers: { q1: 'Answered from the dashboard' } },
    });
    expect(answered.status).toBeLessThan(300);
    await pane.until(
      /This prompt was closed elsewhere\.[\s\S]*Is this what you meant\?[\s\S]*Choose \[1-3\]: $/m,
    );
    pane.type('1');
    const screen = await pane.until(/EXIT=\d+/, 30_000);
    expect(screen).toContain('EXIT=0');
  }, 60_000);

  it('long commands draw a bar at a terminal, erased by the final line', async () => {
    const pane = openPane(['skills', 'reindex', ...connect()], {});
    const screen = await pane.until(/EXIT=\d+/);
    expect(screen).toContain('EXIT=0');
    expect(screen).toMatch(/^Reindexing skills: done \(\d+\.\d s\)$/m);
    expect(screen).toMatch(/^Indexed \d+ skills?\.$/m);
    // The plain start line is only for pipes.
    expect(screen).not.toContain('Reindexing skills…');
  }, 60_000);

  it('without a terminal, prints the command that answers each prompt instead of asking', async () => {
    const running = runCliToEnd(['create', 'write a skill for something', ...connect()]);
    const prompt = await waitFor(
      async () => {
        const { body } = await rest.get('/prompts?status=open');
        return (body.prompts as { id: string; jobId: string }[])[0] ?? false;
      },
      { timeoutMs: 20_000 },
    );
    await rest.post(`/jobs/${prompt.jobId}/cancel`);
    const result = await running;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `answer it with: skill-fleet prompts answer ${prompt.id} --answer '<json>'`,
    );
    expect(result.stdout).not.toContain('Choose');
  }, 60_000);
});
