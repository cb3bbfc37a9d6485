import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENT_VARIABLE_NAMES } from '../../src/config/environment';

/**
 * The built `skill-fleet` CLI as users run it: real child processes of `node dist/cli/main.js`, each
 * on its own environment, working directory and DATA_DIR.
 */
const root = path.resolve(__dirname, '..', '..');
const cliMain = path.join(root, 'dist', 'cli', 'main.js');
export const STACK_LINE = /^\s+at /m;
/** A first start on an empty DATA_DIR creates the embedded database, which is slow on a busy machine. */
export const FIRST_START_MS = 120_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Finished extends Exit {
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
const workDirs = new Set<string>();

/** Call once at the top of a test file: checks the build, and cleans up after each test. */
export function useCliProcesses(): void {
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
    for (const dir of workDirs) fs.rmSync(dir, { recursive: true, force: true });
    workDirs.clear();
  });
}

/** A private working directory (so no `.env` is picked up) with a DATA_DIR inside it. */
export function makeWorkDir(): { cwd: string; dataDir: string } {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-cli-'));
  workDirs.add(cwd);
  return { cwd, dataDir: path.join(cwd, 'data') };
}

/**
 * The parent's environment without any variable the service reads (DATABASE_URL and REDIS_URL above
 * all) or jest's NODE_OPTIONS, plus what the test sets.
 */
export function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ENVIRONMENT_VARIABLE_NAMES) delete env[name];
  delete env.NODE_OPTIONS;
  return { ...env, DATA_DIR: dataDir, ...extra };
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
export class CliProcess {
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

export function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = FIRST_START_MS,
): Promise<Finished> {
  return new CliProcess(args, cwd, env).finish(timeoutMs);
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
