import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CliResult,
  cliMain,
  closedPort,
  onlyJson,
  remoteCli,
  removeCliWorkDirs,
  runCliToEnd,
} from '../support/cli-run';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { createStepsJob, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';

/**
 * The remote commands of the built `skill-fleet` CLI (protocol.md §3) as real child processes against
 * a running test server, over the WebSocket with --url and --token.
 */
const FIXTURES = path.resolve(__dirname, '../fixtures/skills');
const STACK_LINE = /^\s+at /m;

afterAll(() => removeCliWorkDirs());

beforeAll(() => {
  if (!fs.existsSync(cliMain)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first.');
  }
});

describe(`skill-fleet remote commands (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  const effects = sideEffectDir();
  let remote: (...args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    server = await startTestServer();
    rest = restClient(server.httpUrl, server.adminToken);
    remote = remoteCli(server.wsUrl, server.adminToken);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(effects, { recursive: true, force: true });
  });

  describe('jobs', () => {
    it('lists and shows jobs, as a table and as JSON', async () => {
      const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: effects });
      await waitForStatus(rest, jobId, 'completed');

      const table = await remote('jobs', 'list');
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^ID\s+WORKFLOW\s+STATUS/);
      expect(table.stdout).toContain(jobId);

      const listed = await remote('jobs', 'list', '--status', 'completed', '--json');
      expect(listed.code).toBe(0);
      const list = onlyJson(listed);
      expect(Object.keys(list).sort()).toEqual(['jobs', 'nextCursor']);
      expect((list.jobs as { id: string }[]).map((j) => j.id)).toContain(jobId);

      const none = onlyJson(await remote('jobs', 'list', '--status', 'failed', '--json'));
      expect((none.jobs as { id: string }[]).map((j) => j.id)).not.toContain(jobId);

      const shown = await remote('jobs', 'show', jobId, '--json');
      expect(shown.code).toBe(0);
      expect(onlyJson(shown)).toEqual({
        job: expect.objectContaining({ id: jobId, status: 'completed' }),
      });

      const human = await remote('jobs', 'show', jobId);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/status:\s+completed/);
    });

    it('cancels a running job', async () => {
      const jobId = await createStepsJob(rest, { steps: 3, stepMs: 5_000, sideEffectDir: effects });
      await waitForStatus(rest, jobId, 'running');

      const cancelled = await remote('jobs', 'cancel', jobId, '--json');
      expect(cancelled.code).toBe(0);
      expect(onlyJson(cancelled)).toEqual({ job: expect.objectContaining({ id: jobId }) });
      await waitForStatus(rest, jobId, 'cancelled');
    });

    it('retries a failed job', async () => {
      const jobId = await createStepsJob(rest, {
        steps: 1,
        permanentOnceAt: 1,
        sideEffectDir: effects,
      });
      await waitForStatus(rest, jobId, 'failed');

      const retried = await remote('jobs', 'retry', jobId);
      expect(retried.code).toBe(0);
      expect(retried.stdout).toContain(`Job ${jobId} is queued`);
      await waitForStatus(rest, jobId, 'completed');
    });

    it('refuses to retry a completed job: exit 1 with CONFLICT', async () => {
      const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: effects });
      await waitForStatus(rest, jobId, 'completed');
      const refused = await remote('jobs', 'retry', jobId, '--json');
      expect(refused.code).toBe(1);
      expect(onlyJson(refused)).toEqual({
        error: {
          code: expect.stringMatching(/CONFLICT|VALIDATION_FAILED/),
          message: expect.any(String),
        },
      });
    });

    it('purges finished jobs older than the age given, and keeps younger ones', async () => {
      const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: effects });
      await waitForStatus(rest, jobId, 'completed');

      const kept = onlyJson(
        await remote('jobs', 'purge', '--older-than', '30d', '--yes', '--json'),
      );
      expect(kept).toEqual({ purged: 0 });
      expect((await remote('jobs', 'show', jobId)).code).toBe(0);

      const purged = await remote('jobs', 'purge', '--older-than', '0d', '--yes', '--json');
      expect(purged.code).toBe(0);
      expect((onlyJson(purged) as { purged: number }).purged).toBeGreaterThanOrEqual(1);
      const gone = await remote('jobs', 'show', jobId, '--json');
      expect(gone.code).toBe(1);
      expect(onlyJson(gone)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    });

    it('says NOT_FOUND (exit 1, one line with a hint) for an unknown id', async () => {
      const missing = await remote('jobs', 'show', '00000000-0000-4000-8000-000000000000');
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toMatch(/^skill-fleet: .+\nhint: .+\n$/);
      expect(missing.stderr).not.toMatch(STACK_LINE);
    });

    it('exits 2 on bad options', async () => {
      const badAge = await remote('jobs', 'purge', '--older-than', 'soon', '--json');
      expect(badAge.code).toBe(2);
      expect(onlyJson(badAge)).toEqual({ error: { code: 'USAGE', message: expect.any(String) } });

      const noAge = await remote('jobs', 'purge');
      expect(noAge.code).toBe(2);
      expect(noAge.stderr).toContain('--older-than');

      const badStatus = await remote('jobs', 'list', '--status', 'sleeping');
      expect(badStatus.code).toBe(2);
      expect(badStatus.stderr).toContain('Unknown status');

      expect((await remote('jobs', 'show')).code).toBe(2);
      expect((await remote('jobs', 'list', '--bogus')).code).toBe(2);
      expect((await remote('jobs')).code).toBe(2);
    });
  });

  describe('prompts', () => {
    const askJob = async () => {
      const created = await rest.post('/jobs', {
        workflow: 'test.ask',
        input: {
          prompts: [{ kind: 'validate', payload: { report: { valid: true }, content: 'x' } }],
          sideEffectDir: effects,
        },
      });
      expect(created.status).toBe(201);
      const jobId = created.body.job.id as string;
      const prompt = await waitFor(async () => {
        const { body } = await rest.get(`/prompts?status=open&jobId=${jobId}`);
        return (body.prompts[0] as { id: string } | undefined) ?? false;
      });
      return { jobId, promptId: prompt.id };
    };

    it('lists open prompts and answers one with --answer and --json output', async () => {
      const { jobId, promptId } = await askJob();
      const listed = await remote('prompts', 'list', '--json');
      expect(listed.code).toBe(0);
      expect((onlyJson(listed).prompts as { id: string }[]).map((p) => p.id)).toContain(promptId);
      const table = await remote('prompts', 'list');
      expect(table.stdout).toContain(promptId);

      const answered = await remote(
        'prompts',
        'answer',
        promptId,
        '--answer',
        '{"action":"proceed"}',
        '--json',
      );
      expect(answered.code).toBe(0);
      expect(onlyJson(answered)).toEqual({
        prompt: expect.objectContaining({ id: promptId, status: 'answered' }),
      });
      await waitForStatus(rest, jobId, 'completed');
    });

    it("accepts the protocol's form: prompts answer ID --json '<answer>'", async () => {
      const { jobId, promptId } = await askJob();
      const answered = await remote(
        'prompts',
        'answer',
        promptId,
        '--json',
        '{"action":"proceed"}',
      );
      expect(answered.code).toBe(0);
      expect(answered.stdout).toContain(`Prompt ${promptId} is answered`);
      await waitForStatus(rest, jobId, 'completed');

      const again = await remote(
        'prompts',
        'answer',
        promptId,
        '--answer',
        '{"action":"proceed"}',
        '--json',
      );
      expect(again.code).toBe(1);
      expect((onlyJson(again).error as { code: string }).code).toMatch(/CONFLICT|NOT_FOUND/);
    });

    it('refuses a bad answer: not JSON → exit 2; wrong shape → exit 1 VALIDATION_FAILED', async () => {
      const { promptId } = await askJob();
      const notJson = await remote('prompts', 'answer', promptId, '--answer', '{nope');
      expect(notJson.code).toBe(2);
      const missing = await remote('prompts', 'answer', promptId);
      expect(missing.code).toBe(2);
      const invalid = await remote(
        'prompts',
        'answer',
        promptId,
        '--answer',
        '{"action":"maybe"}',
        '--json',
      );
      expect(invalid.code).toBe(1);
      expect((onlyJson(invalid).error as { code: string }).code).toBe('VALIDATION_FAILED');
    });
  });

  describe('tokens', () => {
    it('creates, lists and revokes a token', async () => {
      const created = await remote(
        'tokens',
        'create',
        '--user',
        'alice',
        '--role',
        'user',
        '--read-only',
        '--json',
      );
      expect(created.code).toBe(0);
      const token = onlyJson(created);
      expect(token).toEqual({
        id: expect.any(String),
        token: expect.any(String),
        userId: 'alice',
        role: 'user',
        readOnly: true,
      });

      const listed = onlyJson(await remote('tokens', 'list', '--json'));
      const row = (listed.tokens as { id: string; revokedAt: string | null }[]).find(
        (t) => t.id === token.id,
      );
      expect(row).toEqual(expect.objectContaining({ revokedAt: null }));
      expect(JSON.stringify(listed)).not.toContain(token.token as string);

      // The new token works (read-only: it may list) until it is revoked.
      const alice = remoteCli(server.wsUrl, token.token as string);
      const asAlice = await alice('jobs', 'list');
      expect(asAlice.code).toBe(0);
      const writeRefused = await alice('jobs', 'purge', '--older-than', '1d', '--yes', '--json');
      expect(writeRefused.code).toBe(1);
      expect((onlyJson(writeRefused).error as { code: string }).code).toBe('FORBIDDEN');

      const revoked = await remote('tokens', 'revoke', token.id as string);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`Revoked token ${token.id}`);
      const after = onlyJson(await remote('tokens', 'list', '--json'));
      expect(
        (after.tokens as { id: string; revokedAt: string | null }[]).find((t) => t.id === token.id)
          ?.revokedAt,
      ).toEqual(expect.any(String));

      const refused = await alice('jobs', 'list', '--json');
      expect(refused.code).toBe(1);
      expect((onlyJson(refused).error as { code: string }).code).toBe('UNAUTHORIZED');
    });

    it('prints the token once in the readable output, and refuses bad options with exit 2', async () => {
      const created = await remote('tokens', 'create', '--user', 'bob');
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/token:\s+\S+/);
      expect(created.stdout).toContain('not shown again');
      expect((await remote('tokens', 'create')).code).toBe(2);
      expect((await remote('tokens', 'create', '--user', 'x', '--role', 'root')).code).toBe(2);
      const unknown = await remote('tokens', 'revoke', 'no-such-token', '--json');
      expect(unknown.code).toBe(1);
      expect((onlyJson(unknown).error as { code: string }).code).toMatch(
        /NOT_FOUND|VALIDATION_FAILED/,
      );
    });
  });

  describe('skills', () => {
    it('imports a folder, lists, shows and reindexes skills', async () => {
      const imported = await remote('skills', 'import', FIXTURES, '--json');
      expect(imported.code).toBe(0);
      const result = onlyJson(imported) as { imported: number; rejected: unknown[] };
      expect(Object.keys(result).sort()).toEqual(['imported', 'rejected']);
      expect(result.imported).toBeGreaterThan(0);

      const listed = await remote('skills', 'list', '--json');
      expect(listed.code).toBe(0);
      const skills = onlyJson(listed).skills as { id: string; name: string }[];
      expect(skills.length).toBe(result.imported);
      const asyncAwait = skills.find((s) => s.name === 'async-await')!;
      expect(asyncAwait).toBeDefined();

      const table = await remote('skills', 'list');
      expect(table.stdout).toMatch(/^ID\s+NAME\s+CATEGORY/);
      expect(table.stdout).toContain('async-await');

      const shown = await remote('skills', 'show', asyncAwait.id, '--json');
      expect(shown.code).toBe(0);
      const doc = onlyJson(shown);
      expect(Object.keys(doc).sort()).toEqual(['content', 'skill']);
      expect(doc.content).toContain('name: async-await');

      const reindexed = await remote('skills', 'reindex', '--json');
      expect(reindexed.code).toBe(0);
      expect(onlyJson(reindexed)).toEqual({ indexed: result.imported });

      const missing = await remote('skills', 'show', 'no-such-skill', '--json');
      expect(missing.code).toBe(1);
      expect((onlyJson(missing).error as { code: string }).code).toMatch(
        /NOT_FOUND|VALIDATION_FAILED/,
      );
    });

    it('says why an import was refused (exit 1), and promote of an unknown job is NOT_FOUND', async () => {
      const refused = await remote(
        'skills',
        'import',
        path.join(os.tmpdir(), 'sf-no-such-dir'),
        '--json',
      );
      expect(refused.code).toBe(1);
      expect((onlyJson(refused).error as { code: string }).code).toBe('VALIDATION_FAILED');
      const promote = await remote(
        'skills',
        'promote',
        '00000000-0000-4000-8000-000000000000',
        '--json',
      );
      expect(promote.code).toBe(1);
      expect((onlyJson(promote).error as { code: string }).code).toBe('NOT_FOUND');
    });
  });

  it('reads the token from <DATA_DIR>/admin-token when --token is not given', async () => {
    const listed = await runCliToEnd(['tokens', 'list', '--json', '--url', server.wsUrl], {
      dataDir: server.env.DATA_DIR,
    });
    expect(listed.code).toBe(0);
    expect(onlyJson(listed)).toEqual({ tokens: expect.any(Array) });
  });
});

describe('skill-fleet remote commands without a server', () => {
  it('exits 2 and says how to start one', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/ws`;
    const human = await runCliToEnd(['jobs', 'list', '--url', url, '--token', 'x']);
    expect(human.code).toBe(2);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain(`No server answers at ${url}`);
    expect(human.stderr).toContain('npm start');
    expect(human.stderr).not.toMatch(STACK_LINE);

    const json = await runCliToEnd(['skills', 'list', '--json', '--url', url, '--token', 'x']);
    expect(json.code).toBe(2);
    expect(onlyJson(json)).toEqual({ error: { code: 'UNREACHABLE', message: expect.any(String) } });
  });

  it('exits 2 when there is neither --token nor an admin-token file', async () => {
    const result = await runCliToEnd(['tokens', 'list', '--json', '--url', 'ws://127.0.0.1:1/ws']);
    expect(result.code).toBe(2);
    expect((onlyJson(result).error as { code: string }).code).toBe('NO_TOKEN');
  });
});

describe('skill-fleet doctor', () => {
  it('on a fresh DATA_DIR: exit 1, each failed check with a fix, one JSON document', async () => {
    const result = await runCliToEnd(['doctor', '--json']);
    expect(result.code).toBe(1);
    const report = onlyJson(result) as {
      ok: boolean;
      checks: { name: string; ok: boolean; message: string; fix: string | null }[];
    };
    expect(report.ok).toBe(false);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        'database',
        'migrations',
        'redis',
        'skills-root',
        'llm',
        'admin-token',
        'disk',
      ]),
    );
    for (const check of report.checks) {
      expect(check.fix === null).toBe(check.ok);
    }
    expect(byName.database.ok).toBe(false);
    expect(byName['admin-token'].ok).toBe(false);
    expect(byName.redis.ok).toBe(true);
    expect(byName.disk.ok).toBe(true);

    const human = await runCliToEnd(['doctor']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/\[FAIL\] database/);
    expect(human.stdout).toContain('fix: ');
  });

  it("on a running server's setup: the database, migrations, Redis, token and skills root pass", async () => {
    const server = await startTestServer();
    try {
      // Embedded: the server holds DATA_DIR's database, which doctor reports instead of failing.
      const services =
        e2eMode() === 'services'
          ? { DATABASE_URL: server.env.DATABASE_URL, REDIS_URL: server.env.REDIS_URL }
          : undefined;
      const result = await runCliToEnd(['doctor', '--json'], {
        dataDir: server.env.DATA_DIR,
        env: services,
      });
      const report = onlyJson(result) as {
        ok: boolean;
        checks: { name: string; ok: boolean; message: string }[];
      };
      const check = (name: string) => report.checks.find((c) => c.name === name)!;
      if (e2eMode() === 'embedded') {
        expect(check('database')).toEqual(
          expect.objectContaining({
            ok: true,
            message: expect.stringContaining('server is running'),
          }),
        );
      } else {
        expect(check('database').ok).toBe(true);
        expect(check('redis')).toEqual(
          expect.objectContaining({ ok: true, message: 'Reachable (REDIS_URL)' }),
        );
      }
      for (const name of ['migrations', 'admin-token', 'skills-root', 'llm', 'disk']) {
        expect(check(name)).toEqual(expect.objectContaining({ name, ok: true }));
      }
      expect(report.ok).toBe(true);
      expect(result.code).toBe(0);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe(`skill-fleet create (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let remote: (...args: string[]) => Promise<CliResult>;
  beforeAll(async () => {
    server = await startTestServer({ env: { LLM_PROVIDER: 'offline' } });
    remote = remoteCli(server.wsUrl, server.adminToken);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('runs a skill.create job with --auto-approve: progress on stderr, one JSON document', async () => {
    const result = await remote('create', 'Python asyncio basics', '--auto-approve', '--json');
    expect(result.code).toBe(0);
    const document = onlyJson(result) as {
      job: { id: string; status: string; workflow: string };
      skill?: { id: string; draftPath: string };
      report?: { valid: boolean };
    };
    expect(document.job).toEqual(
      expect.objectContaining({ workflow: 'skill.create', status: 'completed' }),
    );
    expect(document.skill).toEqual(expect.objectContaining({ id: expect.any(String) }));
    expect(document.report).toEqual(expect.objectContaining({ valid: true }));
    expect(result.stderr).toContain(`Job ${document.job.id} created`);
    expect(result.stderr).toContain('completed');
  });

  it('prints progress lines and the next step without --json', async () => {
    const result = await remote('create', 'Writing pytest fixtures', '--auto-approve');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Job \S+ created$/m);
    expect(result.stdout).toMatch(/skill-fleet skills promote \S+/);
  });
});
