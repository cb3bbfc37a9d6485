import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliEnv, cliMain, cliWorkDir, closedPort, removeCliWorkDirs } from '../support/cli-run';
import { e2eMode, loadRun } from '../support/e2e-env';

/**
 * The built `skill-fleet` CLI as users run it: real child processes of `node dist/cli/main.js`, each
 * on its own environment, working directory and DATA_DIR.
 */
const root = path.resolve(__dirname, '..', '..');
const STACK_LINE = /^\s+at /m;
/** A first start on an empty DATA_DIR creates the embedded database, which is slow on a busy machine. */
const FIRST_START_MS = 120_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Finished extends Exit {
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

beforeAll(() => {
  if (!fs.existsSync(cliMain)) {
    throw new Error(
      `${path.relative(root, cliMain)} is missing: the CLI e2e tests run the built CLI, so run ` +
        '`npm run build` first (`npm test` builds before the e2e tier).',
    );
  }
});

afterEach(async () => {
  await Promise.all([...children].map((child) => killAndWait(child)));
  removeCliWorkDirs();
});

/** A private working directory (so no `.env` is picked up) with a DATA_DIR inside it. */
function makeWorkDir(): { cwd: string; dataDir: string } {
  const cwd = cliWorkDir();
  return { cwd, dataDir: path.join(cwd, 'data') };
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function killAndWait(child: ChildProcess): Promise<void> {
  const exited = exitOf(child);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
  children.delete(child);
}

/** A running CLI process with its output collected as it arrives. */
class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(
    args: string[],
    readonly cwd: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [cliMain, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    // 'close' comes after both pipes are drained, so the output is complete once this resolves.
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        children.delete(this.child);
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first match of `pattern` on stdout; fails if the process exits or time runs out. */
  waitForStdout(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.stdout.match(pattern);
        if (!match) return;
        cleanup();
        resolve(match);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${pattern} on stdout within ${timeoutMs} ms\n${this.transcript()}`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        cleanup();
        reject(new Error(`exited (${code ?? signal}) before ${pattern}\n${this.transcript()}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        this.child.off('close', onExit);
      };
      this.child.stdout!.on('data', check);
      this.child.once('close', onExit);
      check();
    });
  }

  /** Resolves with how the process ended; fails if it is still running after `timeoutMs`. */
  async finish(timeoutMs: number): Promise<Finished> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms\n${this.transcript()}`)),
        timeoutMs,
      );
    });
    try {
      const exit = await Promise.race([this.exited, timeout]);
      return { ...exit, stdout: this.stdout, stderr: this.stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  transcript(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }
}

function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = FIRST_START_MS,
): Promise<Finished> {
  return new CliProcess(args, cwd, env).finish(timeoutMs);
}

const UP_LINE = /^Skill Fleet is up \((\w+) mode\) on (http:\/\/\S+)$/m;
const LAST_BANNER_LINE = /^Press Ctrl-C to stop\.$/m;

/** Starts `serve` and waits for its banner; returns the process and the URL it printed. */
async function startServe(
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ serve: CliProcess; url: string }> {
  const serve = new CliProcess(['serve'], cwd, env);
  const [, mode, url] = await serve.waitForStdout(UP_LINE, timeoutMs);
  expect(mode).toBe('embedded');
  await serve.waitForStdout(LAST_BANNER_LINE, 5_000);
  return { serve, url };
}

async function readyStatus(url: string): Promise<number> {
  const response = await fetch(`${url}/health/ready`);
  await response.arrayBuffer();
  return response.status;
}

/** The commands `--help` lists, as in "  serve [options]   Run the API…". */
function listedCommands(help: string): string[] {
  return [...help.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((match) => match[1]);
}

if (e2eMode() === 'embedded') {
  describe('skill-fleet CLI (built, as child processes)', () => {
    it('--help exits 0 and lists serve, worker and db', async () => {
      const { cwd, dataDir } = makeWorkDir();
      const result = await runCli(['--help'], cwd, cliEnv(dataDir), 30_000);
      expect(result.code).toBe(0);
      expect(listedCommands(result.stdout)).toEqual(
        expect.arrayContaining(['serve', 'worker', 'db']),
      );
      expect(result.stderr).not.toMatch(STACK_LINE);
    });

    it(
      'serve starts on embedded defaults, writes the admin token file 0600, stops on SIGINT and restarts on the same DATA_DIR',
      async () => {
        const { cwd, dataDir } = makeWorkDir();
        const port = await closedPort();
        const first = await startServe(
          cwd,
          cliEnv(dataDir, { PORT: String(port) }),
          FIRST_START_MS,
        );
        expect(first.url).toBe(`http://127.0.0.1:${port}`);
        expect(await readyStatus(first.url)).toBe(200);
        expect(first.serve.stdout).toContain(`API docs:   ${first.url}/api/docs `);
        expect((await fetch(`${first.url}/api/docs-json`)).status).toBe(200);

        const tokenFile = path.join(dataDir, 'admin-token');
        expect(first.serve.stdout).toContain(`Admin token file: ${tokenFile}`);
        expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
        const token = fs.readFileSync(tokenFile, 'utf8').trim();
        expect(first.serve.stdout).toContain('a new admin token was written to that file');
        // The secret is never printed: stdout is often a log that others read.
        expect(first.serve.stdout + first.serve.stderr).not.toContain(token);

        first.serve.signal('SIGINT');
        const stopped = await first.serve.finish(10_000);
        expect(stopped).toMatchObject({ code: 0, signal: null });
        expect(stopped.stderr).not.toMatch(STACK_LINE);
        expect(fs.existsSync(path.join(dataDir, '.lock'))).toBe(false);

        const secondPort = await closedPort();
        const second = await startServe(cwd, cliEnv(dataDir, { PORT: String(secondPort) }), 15_000);
        expect(await readyStatus(second.url)).toBe(200);
        // The token from the first start is kept.
        expect(second.serve.stdout).toContain(`Admin token file: ${tokenFile}`);
        expect(second.serve.stdout).not.toContain('a new admin token');
        expect(fs.readFileSync(tokenFile, 'utf8').trim()).toBe(token);

        second.serve.signal('SIGINT');
        const stoppedAgain = await second.serve.finish(10_000);
        expect(stoppedAgain).toMatchObject({ code: 0, signal: null });
        expect(stoppedAgain.stderr).not.toMatch(STACK_LINE);
      },
      FIRST_START_MS + 60_000,
    );

    it(
      'a second serve on a DATA_DIR in use exits non-zero quickly, saying the DATA_DIR is in use',
      async () => {
        const { cwd, dataDir } = makeWorkDir();
        // A migrated DATA_DIR from global setup makes the first process start quickly.
        fs.cpSync(loadRun().templateDataDir!, dataDir, { recursive: true });
        const first = await startServe(
          cwd,
          cliEnv(dataDir, { PORT: String(await closedPort()) }),
          FIRST_START_MS,
        );

        const second = await runCli(
          ['serve'],
          cwd,
          cliEnv(dataDir, { PORT: String(await closedPort()) }),
          15_000,
        );
        expect(second.code).not.toBe(0);
        expect(second.code).not.toBeNull();
        expect(second.stderr).toMatch(/in use/);
        expect(second.stderr).toContain(`DATA_DIR ${dataDir}`);
        expect(second.stderr).toContain(`pid ${first.serve.pid}`);
        expect(second.stderr).not.toMatch(STACK_LINE);
        expect(second.stdout).not.toMatch(UP_LINE);

        // The first process is untouched and still owns the DATA_DIR.
        expect(await readyStatus(first.url)).toBe(200);
        expect(fs.lstatSync(path.join(dataDir, '.lock')).isSocket()).toBe(true);
        first.serve.signal('SIGINT');
        expect(await first.serve.finish(10_000)).toMatchObject({ code: 0, signal: null });
      },
      FIRST_START_MS + 30_000,
    );

    it('worker without DATABASE_URL and REDIS_URL exits 2, saying it needs DATABASE_URL', async () => {
      const { cwd, dataDir } = makeWorkDir();
      const result = await runCli(['worker'], cwd, cliEnv(dataDir), 30_000);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/DATABASE_URL/);
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stdout).not.toMatch(/Worker started/);
    });

    it(
      'db status --json lists pending migrations on a fresh DATA_DIR; after db migrate --json all are applied',
      async () => {
        const { cwd, dataDir } = makeWorkDir();
        const env = cliEnv(dataDir);

        const before = await runCli(['db', 'status', '--json'], cwd, env);
        expect({ code: before.code, stderr: before.stderr }).toEqual({ code: 0, stderr: '' });
        const pending = JSON.parse(before.stdout) as { migrations: unknown[] };
        expect(Object.keys(pending)).toEqual(['migrations']);
        expect(pending.migrations.length).toBeGreaterThan(0);
        for (const migration of pending.migrations) {
          expect(migration).toEqual({ name: expect.any(String), applied: false });
        }
        const names = (pending.migrations as { name: string }[]).map((m) => m.name);

        const migrate = await runCli(['db', 'migrate', '--json'], cwd, env);
        expect({ code: migrate.code, stderr: migrate.stderr }).toEqual({ code: 0, stderr: '' });
        expect(JSON.parse(migrate.stdout)).toEqual({ applied: names });

        const after = await runCli(['db', 'status', '--json'], cwd, env);
        expect({ code: after.code, stderr: after.stderr }).toEqual({ code: 0, stderr: '' });
        expect(JSON.parse(after.stdout)).toEqual({
          migrations: names.map((name) => ({ name, applied: true })),
        });
      },
      FIRST_START_MS * 3,
    );
  });
} else {
  describe('skill-fleet CLI (services mode: the CLI cases run in the embedded pass)', () => {
    it('the built CLI prints its help', async () => {
      const { cwd, dataDir } = makeWorkDir();
      const result = await runCli(['--help'], cwd, cliEnv(dataDir), 30_000);
      expect(result.code).toBe(0);
      expect(listedCommands(result.stdout)).toEqual(
        expect.arrayContaining(['serve', 'worker', 'db']),
      );
    });
  });
}
