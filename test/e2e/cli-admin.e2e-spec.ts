import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { DataSource } from 'typeorm';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import {
  cliMain,
  closedPort,
  CliResult,
  onlyJson,
  remoteCli,
  removeCliWorkDirs,
  runCliToEnd,
} from '../support/cli-run';
import { startTestServer, TestServer } from '../support/test-server';

/**
 * The CLI's usage errors, shell completion, progress lines, `jobs purge` checked by row counts and
 * `doctor` with the database down, through the built binary as child processes (protocol.md §3).
 */
const STACK_LINE = /^\s+at /m;

beforeAll(() => {
  if (!fs.existsSync(cliMain)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first.');
  }
});
afterAll(() => removeCliWorkDirs());

describe("commander's own usage errors", () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['jobs', 'list', '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['jobs', 'show'], /missing required argument 'id'/],
    ['an unknown command', ['nonsense'], /unknown command 'nonsense'/],
    ['an offline command’s missing argument', ['validate'], /missing required argument 'dir'/],
  ];

  it.each(cases)('%s: exit 2, one JSON error on stdout with --json', async (_what, args, why) => {
    const result = await runCliToEnd([...args, '--json']);
    expect(result.code).toBe(2);
    expect(onlyJson(result)).toEqual({
      error: { code: 'USAGE', message: expect.stringMatching(why) },
    });
    expect(result.stderr).toBe('');
  });

  it.each(cases)('%s: exit 2, commander’s line on stderr without --json', async (_w, args, why) => {
    const result = await runCliToEnd(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(why);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('a bad variable read for the defaults is a usage error too (exit 2, CONFIG)', async () => {
    const json = await runCliToEnd(['jobs', 'list', '--json'], { env: { PORT: 'eighty' } });
    expect(json.code).toBe(2);
    expect(onlyJson(json)).toEqual({
      error: {
        code: 'CONFIG',
        message: expect.stringContaining('PORT must be between 0 and 65535'),
      },
    });
    const human = await runCliToEnd(['jobs', 'list'], { env: { PORT: 'eighty' } });
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/PORT must .*\nhint: Fix the variables above/);
  });

  it("keeps the protocol's `prompts answer ID --json '<answer>'` readable", async () => {
    const result = await runCliToEnd(['prompts', 'answer', '--json', '{"action":"proceed"}']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/missing required argument 'id'/);
  });
});

describe('skill-fleet completion', () => {
  /** What bash offers after `words` (the last one being completed), with the printed script loaded. */
  const complete = (script: string, words: string[]): string[] => {
    const program = [
      script,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_skill_fleet',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
  };

  it('bash: offers commands, subcommands and the options of the command typed so far', async () => {
    const result = await runCliToEnd(['completion', 'bash']);
    expect(result.code).toBe(0);
    const script = result.stdout;
    expect(script).toContain('complete -o default -F _skill_fleet skill-fleet');
    expect(complete(script, ['skill-fleet', ''])).toEqual(
      expect.arrayContaining(['serve', 'jobs', 'skills', 'doctor', 'create', 'completion']),
    );
    expect(complete(script, ['skill-fleet', 'jobs', 'p'])).toEqual(['purge']);
    expect(complete(script, ['skill-fleet', 'jobs', 'purge', '--o'])).toEqual(['--older-than']);
    expect(complete(script, ['skill-fleet', '--json', 'skills', 'import', 'x', '--'])).toEqual(
      expect.arrayContaining(['--url', '--token', '--json', '--help']),
    );
    expect(complete(script, ['skill-fleet', 'create', '--a'])).toEqual(['--auto-approve']);
  });

  it('zsh: a compsys script with each word described; an unknown shell is a usage error', async () => {
    const zsh = await runCliToEnd(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef skill-fleet\n/);
    expect(zsh.stdout).toContain('compdef _skill_fleet skill-fleet');
    expect(zsh.stdout).toMatch(/"jobs"\) items=\('list:List jobs, newest first'/);
    expect(zsh.stdout).toContain("'--older-than:Finished more than this long ago\\: Nd");

    const fish = await runCliToEnd(['completion', 'fish', '--json']);
    expect(fish.code).toBe(2);
  });
});

describe('skill-fleet doctor with the database down', () => {
  it('reports the database and migrations as failed with a fix, and exits 1', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/skill_fleet`;
    const json = await runCliToEnd(['doctor', '--json'], { env: { DATABASE_URL: url } });
    expect(json.code).toBe(1);
    const report = onlyJson(json) as {
      ok: boolean;
      checks: { name: string; ok: boolean; message: string; fix: string | null }[];
    };
    expect(report.ok).toBe(false);
    const check = (name: string) => report.checks.find((c) => c.name === name);
    expect(check('database')).toEqual({
      name: 'database',
      ok: false,
      message: expect.stringMatching(/^Not reachable: .*ECONNREFUSED/),
      fix: expect.stringContaining('DATABASE_URL'),
    });
    expect(check('migrations')).toEqual(
      expect.objectContaining({ ok: false, message: expect.stringContaining('not reachable') }),
    );

    const human = await runCliToEnd(['doctor'], { env: { DATABASE_URL: url } });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/\[FAIL\] database\s+Not reachable/);
    expect(human.stdout).toMatch(/fix: check DATABASE_URL and that Postgres is running/);
    expect(human.stderr).not.toMatch(STACK_LINE);
  });
});

describe('skill-fleet db with the database down', () => {
  it('exits 2 with UNREACHABLE and a hint, as for a server that does not answer', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/skill_fleet`;
    const json = await runCliToEnd(['db', 'status', '--json'], { env: { DATABASE_URL: url } });
    expect(json.code).toBe(2);
    expect(onlyJson(json)).toEqual({
      error: {
        code: 'UNREACHABLE',
        message: expect.stringMatching(/^The database is not reachable: .*ECONNREFUSED/),
      },
    });
    const human = await runCliToEnd(['db', 'migrate'], { env: { DATABASE_URL: url } });
    expect(human.code).toBe(2);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(
      /^skill-fleet: The database is not reachable: .+\nhint: Check DATABASE_URL .+\n$/,
    );
  });
});

describe(`skill-fleet jobs purge and long commands (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let db: DataSource;
  const effects = sideEffectDir();
  let remote: (...args: string[]) => Promise<CliResult>;

  beforeAll(async () => {
    server = await startTestServer();
    rest = restClient(server.httpUrl, server.adminToken);
    db = server.app.get(DataSource);
    remote = remoteCli(server.wsUrl, server.adminToken);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(effects, { recursive: true, force: true });
  });

  /** A test.ask job with two prompts: auto-approved it completes, otherwise it waits at the first. */
  const askJob = async (autoApprove: boolean): Promise<string> => {
    const created = await rest.post('/jobs', {
      workflow: 'test.ask',
      input: {
        prompts: [
          { kind: 'confirm', payload: { summary: 's', path: 'p', assumptions: [] } },
          { kind: 'validate', payload: { report: { valid: true }, content: 'x' } },
        ],
        sideEffectDir: effects,
        options: { autoApprove },
      },
    });
    expect(created.status).toBe(201);
    const jobId = created.body.job.id as string;
    await waitForStatus(rest, jobId, autoApprove ? 'completed' : 'waiting');
    return jobId;
  };

  /** Rows per table for these jobs. */
  const counts = async (jobIds: string[]) => {
    const count = async (table: string): Promise<number> => {
      const rows = (await db.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE job_id = ANY($1::uuid[])`,
        [jobIds],
      )) as { n: number }[];
      return rows[0].n;
    };
    const jobs = (await db.query(`SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1::uuid[])`, [
      jobIds,
    ])) as { n: number }[];
    return {
      jobs: jobs[0].n,
      events: await count('job_events'),
      steps: await count('job_steps'),
      prompts: await count('hitl_prompts'),
    };
  };
  const totals = async () => {
    const rows = (await db.query(
      `SELECT (SELECT count(*) FROM jobs)::int AS jobs, (SELECT count(*) FROM job_events)::int AS events,
              (SELECT count(*) FROM job_steps)::int AS steps, (SELECT count(*) FROM hitl_prompts)::int AS prompts`,
    )) as { jobs: number; events: number; steps: number; prompts: number }[];
    return rows[0];
  };

  it('removes old finished jobs with their events, steps and prompts, and nothing else (by counts)', async () => {
    const [oldDone, oldFailed, recentDone, waiting] = [
      await askJob(true),
      await askJob(true),
      await askJob(true),
      await askJob(false),
    ];
    // Two finished jobs 40 days old (one marked failed), one finished now, one still waiting and old.
    await db.query(
      `UPDATE jobs SET finished_at = now() - interval '40 days', created_at = now() - interval '41 days'
       WHERE id = ANY($1::uuid[])`,
      [[oldDone, oldFailed]],
    );
    await db.query(`UPDATE jobs SET status = 'failed' WHERE id = $1`, [oldFailed]);
    await db.query(`UPDATE jobs SET created_at = now() - interval '41 days' WHERE id = $1`, [
      waiting,
    ]);

    const old = await counts([oldDone, oldFailed]);
    const kept = await counts([recentDone, waiting]);
    expect(old).toEqual({
      jobs: 2,
      events: expect.any(Number),
      steps: 4,
      prompts: 4,
    });
    expect(old.events).toBeGreaterThan(8);
    expect(kept.prompts).toBe(3);
    const before = await totals();

    const result = await remote('jobs', 'purge', '--older-than', '30d', '--yes', '--json');
    expect(result.code).toBe(0);
    expect(onlyJson(result)).toEqual({ purged: 2 });

    expect(await counts([oldDone, oldFailed])).toEqual({
      jobs: 0,
      events: 0,
      steps: 0,
      prompts: 0,
    });
    expect(await counts([recentDone, waiting])).toEqual(kept);
    expect(await totals()).toEqual({
      jobs: before.jobs - 2,
      events: before.events - old.events,
      steps: before.steps - old.steps,
      prompts: before.prompts - old.prompts,
    });
    await rest.post(`/jobs/${waiting}/cancel`);
  });

  it('prints plain progress lines on stderr when not on a terminal, none with --json', async () => {
    const plain = await remote('skills', 'reindex');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^Indexed \d+ skills?\.\n$/);
    expect(plain.stderr).toMatch(/^Reindexing skills…\nReindexing skills: done \(\d+\.\d s\)\n$/);

    const purge = await remote('jobs', 'purge', '--older-than', '3650d', '--yes');
    expect(purge.code).toBe(0);
    expect(purge.stderr).toMatch(/^Purging jobs finished more than 3650 days ago…\n.*: done/);

    const json = await remote('skills', 'reindex', '--json');
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(onlyJson(json)).toEqual({ indexed: expect.any(Number) });
  });
});
