/**
 * The terminal dashboard (issue 8): with 200 jobs listed and 50 events/s arriving, how long a key
 * press takes to show on the screen, and how much CPU the dashboard process uses. The built
 * `skill-fleet dashboard` runs in a real terminal (tmux, 120×40); keys go in with send-keys and the
 * screen is read with capture-pane. The server is a protocol stand-in in this process, so the load
 * is exactly what the row says and none of the server's work is counted against the dashboard.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import type { Job } from '../src/client';
import type { BenchRow } from './bench-row';
import { fmtMs, met, percentile } from './support';
import { sleep } from '../src/common/sleep';

const run = promisify(execFile);

const JOBS = 200;
const EVENTS_PER_SECOND = 50;
/** One event in this many goes to the followed job's stream; the rest are `job.updated` feed events. */
const STREAM_SHARE = 5;
const LATENCY_GOAL_MS = 200;
const CPU_GOAL_CORES = 1;
/** Rows the key presses move over (all on the first screen of the table). */
const ROWS_WALKED = 8;

interface Sizes {
  presses: number;
  /** Each CPU window, ms. */
  cpuMs: number;
}

const QUICK: Sizes = { presses: 30, cpuMs: 5_000 };
const FULL: Sizes = { presses: 120, cpuMs: 15_000 };

const log = (message: string) => process.stderr.write(`[dashboard bench] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// The protocol stand-in: 200 jobs, and a steady 50 events/s when `loaded`

function benchJob(i: number, now: number): Job {
  const created = new Date(now - i * 1000).toISOString();
  return {
    id: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    workflow: 'skill.create',
    status: i % 7 === 0 ? 'waiting' : i % 5 === 0 ? 'completed' : 'running',
    input: { task: `bench task number ${i}: a skill for topic ${i % 13}` },
    ownerId: 'bench',
    currentStep: `generate#${1 + (i % 3)}`,
    progress: { percent: i % 100, message: 'Writing the draft' },
    result: null,
    error: null,
    openPromptId: null,
    attempts: 1,
    createdAt: created,
    startedAt: created,
    updatedAt: created,
    finishedAt: null,
  };
}

class StandInServer {
  private readonly wss: WebSocketServer;
  readonly jobs: Job[];
  /** The job stream each socket follows, with the next seq to send. */
  private readonly streams = new Map<WebSocket, { jobId: string; seq: number }>();
  private timer: NodeJS.Timeout | undefined;
  private feedSeq = 0;
  sent = 0;

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    const now = Date.now();
    this.jobs = Array.from({ length: JOBS }, (_, i) => benchJob(i, now));
    wss.on('connection', (socket) => {
      socket.on('message', (data) => this.onRequest(socket, data.toString()));
      socket.on('close', () => this.streams.delete(socket));
    });
  }

  static async start(): Promise<StandInServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return new StandInServer(wss);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws`;
  }

  /** Starts (or stops, with 0) the steady event load; ticks catch up so the rate holds under load. */
  load(perSecond: number): void {
    clearInterval(this.timer);
    if (perSecond <= 0) return;
    const start = performance.now();
    let n = 0;
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * perSecond);
      while (n < due) this.emit(n++);
    }, 1000 / perSecond);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private send(socket: WebSocket, frame: object): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  private emit(n: number): void {
    const ts = new Date().toISOString();
    for (const socket of this.wss.clients) {
      const stream = this.streams.get(socket);
      if (stream && n % STREAM_SHARE === 0) {
        const seq = ++stream.seq;
        this.send(socket, {
          v: 1,
          type: 'event',
          topic: `job:${stream.jobId}`,
          event: 'job.log',
          seq,
          ts,
          payload: { level: 'info', message: `bench event ${seq}` },
        });
      } else {
        const job = this.jobs[n % JOBS];
        job.progress = { percent: (job.progress.percent + 1) % 100, message: `step ${n}` };
        job.updatedAt = ts;
        this.send(socket, {
          v: 1,
          type: 'event',
          topic: 'jobs',
          event: 'job.updated',
          seq: ++this.feedSeq,
          ts,
          payload: { job },
        });
      }
      this.sent++;
    }
  }

  private onRequest(socket: WebSocket, text: string): void {
    const { id, type, payload } = JSON.parse(text) as {
      id: string;
      type: string;
      payload: { jobId?: string; afterSeq?: number };
    };
    const reply = (body: unknown) =>
      this.send(socket, { v: 1, type: 'reply', replyTo: id, ok: true, payload: body });
    switch (type) {
      case 'ping':
        return reply({ time: new Date().toISOString() });
      case 'jobs.list':
        return reply({ jobs: this.jobs, nextCursor: null });
      case 'prompts.list':
        return reply({ prompts: [] });
      case 'skills.list':
        return reply({ skills: [] });
      case 'feed.subscribe':
      case 'jobs.unsubscribe':
        if (type === 'jobs.unsubscribe') this.streams.delete(socket);
        return reply({});
      case 'system.status':
        return reply({
          version: 'bench',
          mode: 'services',
          workers: 0,
          queue: null,
          db: 'up',
          redis: 'up',
        });
      case 'jobs.subscribe': {
        const job = this.jobs.find((j) => j.id === payload.jobId)!;
        const seq = payload.afterSeq ?? 0;
        this.streams.set(socket, { jobId: job.id, seq });
        return reply({ job, lastSeq: seq });
      }
      default:
        this.send(socket, {
          v: 1,
          type: 'reply',
          replyTo: id,
          ok: false,
          error: { code: 'UNKNOWN_TYPE', message: type },
        });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The dashboard in tmux

class Terminal {
  private constructor(
    private readonly socket: string,
    readonly workDir: string,
  ) {}

  static async start(url: string): Promise<Terminal> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-bench-dash-'));
    const socket = path.join(workDir, 'tmux.sock');
    const cli = path.resolve(__dirname, '..', 'cli', 'main.js');
    const command =
      `env -i PATH='${process.env.PATH}' HOME='${workDir}' TERM=xterm-256color ` +
      `'${process.execPath}' '${cli}' dashboard --url '${url}' --token bench; sleep 600`;
    const terminal = new Terminal(socket, workDir);
    await terminal.tmux(
      'new-session',
      '-d',
      '-s',
      'dash',
      '-x',
      '120',
      '-y',
      '40',
      '-c',
      workDir,
      command,
    );
    return terminal;
  }

  tmux(...args: string[]) {
    return run('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }

  async screen(): Promise<string> {
    return (await this.tmux('capture-pane', '-p', '-t', 'dash')).stdout;
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (pattern.test(await this.screen())) return true;
    }
    return false;
  }

  /** The dashboard's node process: the child of the pane's shell. */
  async dashboardPid(): Promise<number> {
    const { stdout } = await this.tmux('display-message', '-p', '-t', 'dash', '#{pane_pid}');
    const shell = stdout.trim();
    const children = fs.readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
    return Number(children.split(/\s+/)[0]);
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const { stdout } = await run('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  // Fields after the command name: utime and stime are the 12th and 13th.
  return (Number(fields[11]) + Number(fields[12])) / Number(stdout.trim());
}

interface Phase {
  latencies: number[];
  cores: number;
  missed: number;
}

/** The table row the dashboard has selected (it starts on the first), and the presses so far. */
interface Selection {
  row: number;
  presses: number;
}

/** Moves the selection down and up the table; each press waits until the Steps pane names the job. */
async function measure(
  terminal: Terminal,
  jobs: Job[],
  pid: number,
  sizes: Sizes,
  selection: Selection,
): Promise<Phase> {
  const latencies: number[] = [];
  let missed = 0;
  const cpuStart = await cpuSeconds(pid);
  const wallStart = performance.now();
  for (let i = 0; i < sizes.presses; i++) {
    const down = Math.floor(selection.presses++ / ROWS_WALKED) % 2 === 0;
    selection.row += down ? 1 : -1;
    // The label reads `Steps · <id>`; tmux may draw the dot as another character.
    const expected = new RegExp(`Steps . ${jobs[selection.row].id.slice(0, 8)}`);
    const start = performance.now();
    await terminal.tmux('send-keys', '-t', 'dash', down ? 'Down' : 'Up');
    if (await terminal.waitFor(expected, 2000)) latencies.push(performance.now() - start);
    else missed++;
    await sleep(100);
  }
  // The rest of the window without keys: the cost of the event load alone.
  const left = sizes.cpuMs - (performance.now() - wallStart);
  if (left > 0) await sleep(left);
  const cores = (await cpuSeconds(pid)) - cpuStart;
  return { latencies, missed, cores: cores / ((performance.now() - wallStart) / 1000) };
}

export async function runDashboardBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  const cli = path.resolve(__dirname, '..', 'cli', 'main.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const server = await StandInServer.start();
  const terminal = await Terminal.start(server.url);
  try {
    if (!(await terminal.waitFor(new RegExp(`Jobs \\(${JOBS}/${JOBS}\\)`), 15_000))) {
      throw new Error(`the dashboard did not show ${JOBS} jobs:\n${await terminal.screen()}`);
    }
    const pid = await terminal.dashboardPid();
    log(`dashboard pid ${pid}; idle phase (${sizes.presses} key presses)`);
    const selection: Selection = { row: 0, presses: 0 };
    const idle = await measure(terminal, server.jobs, pid, sizes, selection);
    server.load(EVENTS_PER_SECOND);
    const sentBefore = server.sent;
    const loadStart = performance.now();
    log(`loaded phase: ${EVENTS_PER_SECOND} events/s`);
    const loaded = await measure(terminal, server.jobs, pid, sizes, selection);
    const rate = (server.sent - sentBefore) / ((performance.now() - loadStart) / 1000);
    server.load(0);
    const p50 = percentile(loaded.latencies, 0.5);
    const p99 = percentile(loaded.latencies, 0.99);
    const missed = loaded.missed + idle.missed;
    const setup =
      `${JOBS} jobs listed, ${rate.toFixed(0)} events/s sent (${100 / STREAM_SHARE}% to the ` +
      `selected job's stream, the rest job.updated on the jobs feed); built CLI in tmux 120×40`;
    return [
      {
        name: `dashboard key → screen p50 (${JOBS} jobs, ${EVENTS_PER_SECOND} ev/s)`,
        ours: fmtMs(p50),
        baseline: `${fmtMs(percentile(idle.latencies, 0.5))} with no events`,
        ratio: `${(p50 / percentile(idle.latencies, 0.5)).toFixed(1)}×`,
        note:
          `goal: a key press shows within ${LATENCY_GOAL_MS} ms: p50 ${met(p50 < LATENCY_GOAL_MS)}, ` +
          `p99 ${fmtMs(p99)} ${met(p99 < LATENCY_GOAL_MS)}; ${loaded.latencies.length} presses ` +
          `(↓/↑ in the jobs table) from tmux send-keys until capture-pane shows the newly selected ` +
          `job's Steps pane (includes tmux's own round trips)` +
          `${missed ? `; ${missed} presses not seen within 2 s` : ''}; ${setup}`,
      },
      {
        name: `dashboard CPU (${JOBS} jobs, ${EVENTS_PER_SECOND} ev/s)`,
        ours: `${loaded.cores.toFixed(3)} cores`,
        baseline: `${idle.cores.toFixed(3)} cores with no events`,
        ratio: `+${(loaded.cores - idle.cores).toFixed(3)} cores`,
        note:
          `goal: under ${CPU_GOAL_CORES} core: ${met(loaded.cores < CPU_GOAL_CORES)}; the dashboard ` +
          `process's utime + stime (/proc) over ${(sizes.cpuMs / 1000).toFixed(0)} s windows that ` +
          `include the key presses; event renders are coalesced (one per 30 ms at most), a key is drawn at the next tick`,
      },
    ];
  } finally {
    await terminal.kill();
    await server.close();
  }
}
