import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';
import { waitFor } from '#test/support/wait-for';
import { onExit } from './private-services';

const root = path.resolve(__dirname, '..', '..', '..');

/**
 * A copy of dist/ for this run, so every start and restart runs the same code even if dist/ is
 * rebuilt meanwhile. It stays under the checkout, so node_modules and package.json resolve as from
 * dist/. CHAOS_DIST names another build to copy (one made from a clean export of a commit, say).
 * Returns the copy's CLI entry and a function that removes the copy.
 */
export function snapshotBuild(dist = path.join(root, 'dist')): {
  cliMain: string;
  remove: () => void;
} {
  if (!fs.existsSync(path.join(dist, 'cli', 'main.js'))) {
    throw new Error(`${dist} holds no build: run \`npm run build\` first`);
  }
  const dir = path.join(root, '.test-results', `chaos-build-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(dist, path.join(dir, 'dist'), { recursive: true });
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  onExit(remove);
  return { cliMain: path.join(dir, 'dist', 'cli', 'main.js'), remove };
}

export type Role = 'gateway' | 'worker';

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
}

/** The resident set size of a live process, from /proc, in bytes (null once it is gone). */
function rssBytes(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * One real `skill-fleet` process of the deployment, started from the build (dist/), that the
 * chaos run can kill and start again. Its output is kept (the tail is shown when it fails).
 */
export class FleetProcess {
  private child?: ChildProcess;
  private output = '';
  private inspectorUrl?: string;

  constructor(
    private readonly cliMain: string,
    readonly name: string,
    readonly role: Role,
    private readonly env: Record<string, string>,
    /** gateways: the HTTP port, fixed so clients reconnect to the same address after a restart */
    readonly port?: number,
    /** open the inspector on a loopback port, so the test can run a full GC in it (`memory`) */
    private readonly inspect = false,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** The last lines it printed. */
  tail(lines = 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  async start(): Promise<void> {
    const args = this.role === 'gateway' ? ['serve', '--no-worker'] : ['worker'];
    const flags = this.inspect ? ['--inspect=127.0.0.1:0'] : [];
    const child = spawn(process.execPath, [...flags, this.cliMain, ...args], {
      cwd: root,
      env: { ...process.env, ...this.env, ...(this.port && { PORT: String(this.port) }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const forget = onExit(() => child.kill('SIGKILL'));
    child.once('exit', forget);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const ready = this.role === 'gateway' ? 'Skill Fleet is up' : 'Worker started';
    try {
      await waitFor(
        () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`${this.name} exited (${child.exitCode ?? child.signalCode})`);
          }
          return this.output.includes(ready);
        },
        { timeoutMs: 60000, intervalMs: 50 },
      );
    } catch (error) {
      throw new Error(`${this.name} did not start: ${(error as Error).message}\n${this.tail()}`);
    }
    this.inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(this.output)?.[1];
    this.output = '';
  }

  /** Sends `signal` and waits for the exit (SIGTERM: the process's own graceful shutdown). */
  async stop(signal: NodeJS.Signals, timeoutMs = 20000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Runs a full garbage collection in the process through its inspector (started with `inspect`),
   * then reads its memory: RSS from /proc, the V8 heap in use from the process itself.
   */
  async memory(): Promise<MemoryFigures> {
    if (!this.inspectorUrl || this.pid === undefined) throw new Error(`${this.name}: no inspector`);
    const socket = new WebSocket(this.inspectorUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    let nextId = 0;
    const send = (method: string, params: object = {}) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const id = ++nextId;
        const onMessage = (data: WebSocket.RawData) => {
          const message = JSON.parse(data.toString()) as {
            id?: number;
            result?: Record<string, unknown>;
            error?: { message: string };
          };
          if (message.id !== id) return;
          socket.off('message', onMessage);
          if (message.error) reject(new Error(`${method}: ${message.error.message}`));
          else resolve(message.result ?? {});
        };
        socket.on('message', onMessage);
        socket.send(JSON.stringify({ id, method, params }));
      });
    try {
      await send('HeapProfiler.collectGarbage');
      const evaluated = await send('Runtime.evaluate', {
        expression: 'process.memoryUsage().heapUsed',
        returnByValue: true,
      });
      const heapUsed = Number((evaluated.result as { value: unknown }).value);
      return { rss: rssBytes(this.pid) ?? NaN, heapUsed };
    } finally {
      socket.close();
    }
  }
}
