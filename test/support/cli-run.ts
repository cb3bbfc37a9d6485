import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENT_VARIABLE_NAMES } from '#src/config/environment';

/** The built CLI (`npm run build` first). */
export const cliMain = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const workDirs: string[] = [];

/** A fresh working directory for one CLI run; `removeCliWorkDirs` deletes them all. */
export function cliWorkDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-cli-'));
  workDirs.push(dir);
  return dir;
}

export function removeCliWorkDirs(): void {
  for (const dir of workDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

const groups = new Set<number>();

/**
 * Spawns `command` as the leader of a process group of its own (`detached`), so that
 * `killProcessGroups` also reaches what it starts: the server that `unshare --fork` runs as PID 1 of
 * a new PID namespace, or the one a wrapper forked. Killing only the direct child leaves those
 * running (a killed `unshare` does not take its child along), with their working directory gone.
 */
export function spawnInGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid !== undefined) groups.add(child.pid);
  return child;
}

/** SIGKILLs every process group `spawnInGroup` started, leaders that already exited included. */
export function killProcessGroups(): void {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  groups.clear();
}

/**
 * The parent's environment without any variable the service reads (DATABASE_URL and REDIS_URL above
 * all) or jest's NODE_OPTIONS, plus DATA_DIR and `extra`.
 */
export function cliEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ENVIRONMENT_VARIABLE_NAMES) delete env[name];
  delete env.NODE_OPTIONS;
  return { ...env, DATA_DIR: dataDir, ...extra };
}

/** Runs the built CLI to completion in its own working directory (so no `.env` is read), pipes only. */
export function runCliToEnd(
  args: string[],
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const cwd = cliWorkDir();
  const dataDir = options.dataDir ?? path.join(cwd, 'data');
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], {
      cwd,
      env: cliEnv(dataDir, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the built CLI's remote commands against `wsUrl` with `--url` and `--token`. */
export function remoteCli(wsUrl: string, token: string): (...args: string[]) => Promise<CliResult> {
  return (...args) => runCliToEnd([...args, '--url', wsUrl, '--token', token]);
}

/** stdout must be exactly one JSON document. */
export function onlyJson(result: CliResult): Record<string, unknown> {
  const parsed: unknown = JSON.parse(result.stdout);
  expect(parsed).toEqual(expect.any(Object));
  return parsed as Record<string, unknown>;
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
