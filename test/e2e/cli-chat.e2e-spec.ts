import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliMain, cliWorkDir, closedPort } from '../support/cli-run';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { allEvents, Rest, waitForStatus } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { builtCliTerminals, TmuxTerminal } from '../support/tmux';
import { waitFor } from '../support/wait-for';

/**
 * `skill-fleet chat` at a real terminal (tmux, 160x50): two tasks in one session with their prompts
 * answered inline, a server restart under an open question, /status and /jobs, /exit while the
 * second job waits, then `chat --resume` answering that job's prompt to the end. The offline
 * provider writes the skills.
 */
const terminals = builtCliTerminals();

/** The last non-blank line of the screen. */
const lastLine = (screen: string): string =>
  screen
    .split('\n')
    .filter((line) => line.trim())
    .at(-1) ?? '';

describe(`skill-fleet chat in a terminal (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;

  const chat = async (name: string, args: string[] = []): Promise<TmuxTerminal> => {
    const started = await TmuxTerminal.start(
      name,
      [
        process.execPath,
        cliMain,
        'chat',
        '--prompts',
        'clarify,confirm',
        ...args,
        '--url',
        server.wsUrl,
        '--token',
        server.adminToken,
      ],
      { cols: 160, rows: 50, env: { DATA_DIR: path.join(cliWorkDir(), 'data') } },
    );
    terminals.push(started);
    return started;
  };

  /** Types a line and presses Enter. */
  const enter = async (pane: TmuxTerminal, text: string): Promise<void> => {
    await pane.type(text);
    await pane.keys('Enter');
  };

  /** Waits until everything printed so far matches `pattern`, and returns it. */
  const until = (pane: TmuxTerminal, pattern: RegExp, timeoutMs = 60_000): Promise<string> =>
    pane.waitFor((screen) => pattern.test(screen), String(pattern), timeoutMs, true);

  /** Waits for the chat prompt (or a question) to be the last line after `count` of them. */
  const prompted = (pane: TmuxTerminal, prompt: RegExp): Promise<string> =>
    pane.waitFor((screen) => prompt.test(lastLine(screen)), String(prompt), 60_000, true);

  beforeAll(async () => {
    // A fixed port, so the restarted server is where the chat reconnects to.
    const port = await closedPort();
    server = await startTestServer({ env: { LLM_PROVIDER: 'offline', PORT: String(port) } });
    rest = restClient(server.httpUrl, server.adminToken);
    // The first token check opens the database pool; on a loaded machine it can time out, and the
    // gateway then closes with 1013 (try again later). Done here, the chat's connection finds it warm.
    await waitFor(async () => (await rest.get('/jobs')).status === 200, { timeoutMs: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('runs two tasks, survives a restart, leaves a waiting job, and --resume finishes it', async () => {
    const pane = await chat('sf-chat');
    await prompted(pane, /^chat>\s*$/);

    // Task 1: a broad task, so clarify asks; the answer is typed inline.
    await enter(pane, 'write a skill for something');
    let screen = await prompted(pane, /^>\s*$/);
    const first = /^Job (\S+) created: write a skill for something$/m.exec(screen)![1];
    expect(screen).toMatch(/^1\. The request "something" is broad/m);
    await enter(pane, 'Python packaging with uv, for beginners');
    await prompted(pane, /^Choose \[1-3\]:\s*$/);
    screen = await pane.screen(true);
    expect(screen).toContain('== Is this what you meant? (confirm');

    // The server restarts under the open question; the chat reconnects and the answer goes through.
    const gone = until(pane, /^Connection lost; reconnecting…$/m);
    server = await server.restart();
    rest = restClient(server.httpUrl, server.adminToken);
    await gone;
    await until(pane, /^Reconnected; carrying on\.$/m);
    await enter(pane, '1');
    screen = await until(pane, /^Draft \S+ written to .+\n(.*\n)*chat>/m);
    // The SKILL.md streamed as it was written, before the outcome.
    const streamed = screen.slice(screen.indexOf('Reconnected'), screen.lastIndexOf('Draft '));
    expect(streamed).toMatch(/^name: [a-z0-9-]+$/m);
    expect(streamed).toMatch(/^## When to Use$/m);
    await waitForStatus(rest, first, 'completed', 30_000);

    // /status: the session's current job.
    await enter(pane, '/status');
    await until(pane, new RegExp(`^job: +${first}\\n(.*\\n)*status: +completed$`, 'm'));

    // Task 2 (not broad: confirm is its first question); /jobs at the question, then /exit.
    await enter(pane, 'Python asyncio basics');
    screen = await prompted(pane, /^Choose \[1-3\]:\s*$/);
    const second = /^Job (\S+) created: Python asyncio basics$/m.exec(screen)![1];
    await enter(pane, '/jobs');
    screen = await until(
      pane,
      new RegExp(`^${second.slice(0, 8)} +waiting .*this chat +Python asyncio basics$`, 'm'),
    );
    expect(screen).toMatch(
      new RegExp(`^${first.slice(0, 8)} +completed .*this chat +write a skill for something$`, 'm'),
    );
    await prompted(pane, /^Choose \[1-3\]:\s*$/);
    await enter(pane, '/exit');
    screen = await until(pane, /\[exited \d+\]/);
    expect(screen).toContain('[exited 0]');
    expect(screen).toContain(
      `Job ${second} waits for your answer. Come back with: skill-fleet chat --resume ${second}`,
    );
    expect(screen).not.toContain(`Job ${first} waits`);
    expect((await rest.get(`/jobs/${second}`)).body.job.status).toBe('waiting');

    // chat --resume (by a prefix) asks the open confirm at once; the job completes.
    const again = await chat('sf-chat-resume', ['--resume', second.slice(0, 8)]);
    screen = await prompted(again, /^Choose \[1-3\]:\s*$/);
    expect(screen).toContain(`Following job ${second}`);
    expect(screen).toContain('== Is this what you meant? (confirm');
    await enter(again, '1');
    screen = await until(again, /^Draft \S+ written to .+\n(.*\n)*chat>/m);
    const job = await waitForStatus(rest, second, 'completed', 30_000);
    expect(screen).toContain(`skill-fleet skills promote ${second}`);
    expect(job.result.draftPath).toEqual(expect.any(String));
    await enter(again, '/exit');
    screen = await until(again, /\[exited \d+\]/);
    expect(screen).toContain('[exited 0]');
    expect(screen).not.toContain('waits for your answer');

    // Both logs are whole: every seq once, in order, across the restart.
    for (const jobId of [first, second]) {
      const seqs = (await allEvents(rest, jobId)).map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    const { prompts } = (await rest.get(`/prompts?jobId=${first}&status=answered`)).body as {
      prompts: { kind: string; answer: Record<string, unknown> }[];
    };
    expect(prompts.map((p) => [p.kind, p.answer])).toEqual(
      expect.arrayContaining([
        ['clarify', { answers: { q1: 'Python packaging with uv, for beginners' } }],
        ['confirm', { action: 'proceed' }],
      ]),
    );
  }, 300_000);

  it('Ctrl-C clears a half-typed input, /sources grounds a block task, /cancel at a question cancels it, Ctrl-D leaves', async () => {
    const pane = await chat('sf-chat-keys');
    await prompted(pane, /^chat>\s*$/);
    const notes = path.join(cliWorkDir(), 'errors.md');
    fs.writeFileSync(notes, '# Errors\n\nUse `thiserror` for library errors.\n');
    await enter(pane, `/sources ${notes}.missing`);
    await until(pane, new RegExp(`^/sources ${notes}\\.missing: no such file or folder$`, 'm'));
    await enter(pane, `/sources ${notes}`);
    await until(pane, /^The next task is grounded in 1 source: .*errors\.md$/m);
    await prompted(pane, /^chat>\s*$/);
    await enter(pane, 'a first line that goes on \\');
    await prompted(pane, /^\.\.\.>\s*$/);
    await pane.keys('C-c');
    await prompted(pane, /^chat>\s*$/);
    // A """ block is one task: the offline rules see its words, not a command.
    await enter(pane, '"""');
    await enter(pane, 'Rust error handling');
    await enter(pane, 'with thiserror');
    await enter(pane, '"""');
    let screen = await prompted(pane, /^Choose \[1-3\]:\s*$/);
    const jobId = /^Job (\S+) created with 1 source: Rust error handling with thiserror$/m.exec(
      screen,
    )![1];
    const { input } = (await rest.get(`/jobs/${jobId}`)).body.job;
    expect(input.task).toBe('Rust error handling\nwith thiserror');
    expect(input.sources).toEqual([
      { name: notes, content: '# Errors\n\nUse `thiserror` for library errors.\n' },
    ]);
    await enter(pane, '/cancel');
    await waitForStatus(rest, jobId, 'cancelled', 30_000);
    await until(pane, new RegExp(`^Job ${jobId} cancelled`, 'm'));
    await prompted(pane, /^chat>\s*$/);
    await pane.keys('C-d');
    screen = await until(pane, /\[exited \d+\]/);
    expect(screen).toContain('Bye.');
    expect(screen).toContain('[exited 0]');
  }, 180_000);
});
