import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import {
  cliEnv,
  cliMain,
  cliWorkDir,
  onlyJson,
  remoteCli,
  runCliToEnd,
  type CliResult,
} from '../support/cli-run';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { createStepsJob, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import { NO_PROMPTS } from '../support/skill-create-prompts';
import { startTestServer, TestServer } from '../support/test-server';
import { builtCliTerminals, TmuxTerminal } from '../support/tmux';

/**
 * The built CLI attaching to jobs and taking short ids: `jobs follow` answers a waiting job's prompt
 * at a real terminal (tmux), id prefixes, `jobs purge` asking first and `--dry-run`, `--version`,
 * and `npx skill-fleet … --json` printing nothing but the JSON document.
 */
const root = path.resolve(__dirname, '..', '..');
const packageVersion = (
  JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }
).version;

const terminals = builtCliTerminals();

it('--version prints the version in package.json', async () => {
  const result = await runCliToEnd(['--version']);
  expect(result.code).toBe(0);
  expect(result.stdout.trim()).toBe(packageVersion);
});

describe(`skill-fleet jobs follow, id prefixes and purge (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let remote: (...args: string[]) => Promise<CliResult>;
  const effects = sideEffectDir();

  /** The CLI in a tmux terminal (80x24), talking to the test server. */
  const terminal = async (name: string, args: string[]): Promise<TmuxTerminal> => {
    const started = await TmuxTerminal.start(
      name,
      [process.execPath, cliMain, ...args, '--url', server.wsUrl, '--token', server.adminToken],
      { cols: 80, rows: 24, env: { DATA_DIR: path.join(cliWorkDir(), 'data') } },
    );
    terminals.push(started);
    return started;
  };

  beforeAll(async () => {
    server = await startTestServer({ env: { LLM_PROVIDER: 'offline' } });
    rest = restClient(server.httpUrl, server.adminToken);
    remote = remoteCli(server.wsUrl, server.adminToken);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(effects, { recursive: true, force: true });
  });

  it('npx skill-fleet … --json prints one JSON document and nothing else', async () => {
    const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: effects });
    await waitForStatus(rest, jobId, 'completed');
    const { stdout } = await promisify(execFile)(
      'npx',
      [
        '--no-install',
        'skill-fleet',
        'jobs',
        'list',
        '--json',
        '--url',
        server.wsUrl,
        '--token',
        server.adminToken,
      ],
      { cwd: root, env: cliEnv(path.join(cliWorkDir(), 'data')), encoding: 'utf8' },
    );
    const parsed = JSON.parse(stdout) as { jobs: { id: string }[] };
    expect(parsed.jobs.map((job) => job.id)).toContain(jobId);
  }, 60_000);

  it('follows a waiting job started elsewhere, answers its prompt here, and exits 0', async () => {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: {
        task: 'Python asyncio basics',
        options: { prompts: { ...NO_PROMPTS, validate: true } },
      },
    });
    const jobId = created.body.job.id as string;
    await waitForStatus(rest, jobId, 'waiting');
    // attached by an 8-character prefix of its id
    const pane = await terminal('follow', ['jobs', 'follow', jobId.slice(0, 8)]);
    await pane.waitFor(
      (screen) => /Review the validation report[\s\S]*Choose \[1-\d\]:/.test(screen),
      'the validate prompt',
      30_000,
    );
    await pane.type('1');
    await pane.keys('Enter');
    const screen = await pane.waitForText('[exited', 30_000);
    expect(screen).toContain('[exited 0]');
    expect(screen).toMatch(/^Draft [a-z0-9-]+ written to /m);
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.draftPath).toEqual(expect.any(String));

    // following it again replays its log to the end, asks nothing, and exits 0
    const again = await remote('jobs', 'follow', jobId.slice(0, 6), '--json');
    expect(again.code).toBe(0);
    expect((onlyJson(again).job as { status: string }).status).toBe('completed');
  }, 90_000);

  it('takes a unique 6-character prefix and lists the matches of an ambiguous one', async () => {
    const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: effects });
    await waitForStatus(rest, jobId, 'completed');
    const shown = await remote('jobs', 'show', jobId.slice(0, 6), '--json');
    expect(shown.code).toBe(0);
    expect((onlyJson(shown).job as { id: string }).id).toBe(jobId);

    // two jobs whose ids share their first 8 characters
    const twins = ['abcdef01-0000-4000-8000-000000000001', 'abcdef01-0000-4000-8000-000000000002'];
    const db = server.app.get(DataSource);
    for (const id of twins) {
      await db.query(
        `INSERT INTO jobs (id, workflow, status, input, owner_id, finished_at)
         VALUES ($1, 'test.steps', 'completed', '{}', 'admin', now())`,
        [id],
      );
    }
    const ambiguous = await remote('jobs', 'show', 'abcdef01');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('"abcdef01" matches 2 jobs');
    for (const id of twins) expect(ambiguous.stderr).toContain(id);
    const tooShort = await remote('jobs', 'show', 'abcde');
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toContain('at least 6');
    const whole = await remote('jobs', 'show', twins[1], '--json');
    expect((onlyJson(whole).job as { id: string }).id).toBe(twins[1]);
  }, 90_000);

  it('shows the task, the steps with their durations and tokens, and the result', async () => {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: { task: 'Rust error handling with thiserror', options: { prompts: NO_PROMPTS } },
    });
    const jobId = created.body.job.id as string;
    const job = await waitForStatus(rest, jobId, 'completed');
    const shown = await remote('jobs', 'show', jobId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^task: +Rust error handling with thiserror$/m);
    expect(shown.stdout).toMatch(/^STEP +STATUS +DURATION +TOKENS +ATTEMPT$/m);
    expect(shown.stdout).toMatch(/^plan +completed +\d/m);
    expect(shown.stdout).toMatch(new RegExp(`^draft: +${job.result.draftPath as string}$`, 'm'));
    const listed = await remote('jobs', 'list');
    expect(listed.stdout).toMatch(/TASK$/m);
    expect(listed.stdout).toContain('Rust error handling with thiserror');
  }, 60_000);

  it('purge --dry-run deletes nothing; without --yes it asks at a terminal and refuses without one', async () => {
    const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: effects });
    await waitForStatus(rest, jobId, 'completed');

    const dry = await remote('jobs', 'purge', '--older-than', '0d', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const preview = onlyJson(dry) as {
      purged: number;
      wouldPurge: { count: number; jobIds: string[] };
    };
    expect(preview.purged).toBe(0);
    expect(preview.wouldPurge.jobIds).toContain(jobId);
    expect((await rest.get(`/jobs/${jobId}`)).status).toBe(200);

    const piped = await remote('jobs', 'purge', '--older-than', '0d');
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('Not on a terminal');
    expect((await rest.get(`/jobs/${jobId}`)).status).toBe(200);

    const declined = await terminal('purge-no', ['jobs', 'purge', '--older-than', '0d']);
    await declined.waitFor(
      (screen) => /Purge \d+ jobs?[\s\S]*\[y\/N\]/.test(screen),
      'the question',
    );
    await declined.type('n');
    await declined.keys('Enter');
    const screen = await declined.waitForText('[exited');
    expect(screen).toContain('Nothing purged.');
    expect((await rest.get(`/jobs/${jobId}`)).status).toBe(200);

    const accepted = await terminal('purge-yes', ['jobs', 'purge', '--older-than', '0d']);
    await accepted.waitFor(
      (screen) => /Purge \d+ jobs?[\s\S]*\[y\/N\]/.test(screen),
      'the question',
    );
    await accepted.type('y');
    await accepted.keys('Enter');
    expect(await accepted.waitForText('[exited')).toMatch(/Purged \d+ jobs?\./);
    expect((await rest.get(`/jobs/${jobId}`)).status).toBe(404);
  }, 120_000);
});
