import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { Client } from 'pg';
import { WebSocketServer } from 'ws';
import {
  cliEnv,
  cliMain,
  cliWorkDir,
  closedPort,
  killProcessGroups,
  removeCliWorkDirs,
  spawnInGroup,
} from '../support/cli-run';
import { e2eMode, loadRun } from '../support/e2e-env';
import { restClient } from '../support/http';
import { waitFor } from '../support/wait-for';

/**
 * The default install as a hostile local user and a crash would meet it: the built CLI's `serve` as
 * a real process (in its own PID namespace where the test needs PID 1), on a DATA_DIR of its own.
 */
const START_MS = 90_000;
const UP_LINE = /^Skill Fleet is up \((\w+) mode\) on (http:\/\/\S+)$/m;

const running = new Set<Proc>();

afterEach(async () => {
  // Whole process groups: a server under `unshare --fork` or the zombie keeper is not the child.
  killProcessGroups();
  await Promise.all([...running].map((proc) => proc.exited));
  removeCliWorkDirs();
});

/** Any command, with its output collected as it arrives. */
class Proc {
  out = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawnInGroup(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code) => {
        running.delete(this);
        resolve(code);
      }),
    );
  }

  async waitFor(pattern: RegExp, timeoutMs = START_MS): Promise<RegExpMatchArray> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    return waitFor(
      () => {
        const match = this.out.match(pattern);
        if (match) return match;
        if (exited) throw new Error(`exited before ${pattern}:\n${this.out}`);
        return false;
      },
      { timeoutMs, intervalMs: 100 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- output ---\n${this.out}`);
    });
  }
}

interface Workspace {
  cwd: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

/** A DATA_DIR copied from the migrated template (fast first start), without its admin token. */
async function workspace(extra: Record<string, string> = {}): Promise<Workspace> {
  const ws = await emptyWorkspace(extra);
  fs.cpSync(loadRun().templateDataDir!, ws.dataDir, { recursive: true });
  fs.rmSync(path.join(ws.dataDir, 'admin-token'), { force: true });
  fs.rmSync(path.join(ws.dataDir, 'server-url'), { force: true });
  return ws;
}

/** A working directory and the environment of a CLI run on `<cwd>/data`, which is not created. */
async function emptyWorkspace(extra: Record<string, string> = {}): Promise<Workspace> {
  const cwd = cliWorkDir();
  // Only DATA_DIR's own mode may keep other users out, not the folder around it.
  fs.chmodSync(cwd, 0o755);
  const dataDir = path.join(cwd, 'data');
  const env = cliEnv(dataDir, {
    PORT: String(await closedPort()),
    JOB_LEASE_SECONDS: '5',
    SWEEP_INTERVAL_MS: '500',
    ...extra,
  });
  delete env.SKILL_FLEET_TOKEN;
  return { cwd, dataDir, env };
}

async function serve(
  ws: Workspace,
  wrapper: string[] = [],
  env: Record<string, string> = {},
): Promise<{ proc: Proc; url: string }> {
  const command = [...wrapper, process.execPath, cliMain, 'serve'];
  const proc = new Proc(command[0], command.slice(1), ws.cwd, { ...ws.env, ...env });
  const [, mode, url] = await proc.waitFor(UP_LINE);
  expect(mode).toBe('embedded');
  await proc.waitFor(/^Press Ctrl-C to stop\.$/m);
  return { proc, url };
}

const adminToken = (ws: Workspace): string =>
  fs.readFileSync(path.join(ws.dataDir, 'admin-token'), 'utf8').trim();

/** The TCP ports a process listens on, from its descriptors and its network namespace's tables. */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    const lines = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [, localPort] = fields[1].split(':');
      if (fields[3] === '0A' && inodes.has(fields[9])) ports.add(parseInt(localPort, 16));
    }
  }
  return [...ports];
}

/** The pid (in our namespace) of the process `unshare --fork` started: its only child. */
function childOf(pid: number): number {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return Number(children.split(/\s+/)[0]);
}

const nsPids = (pid: number): string =>
  /^NSpid:\s*(.+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1].trim();

const stateOf = (pid: number): string =>
  /^State:\s*(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];

async function createJobs(url: string, token: string, count: number): Promise<string[]> {
  const rest = restClient(url, token);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: {
        task: `write a skill for reading csv files, take ${i}`,
        options: { autoApprove: true },
      },
    });
    expect(created.status).toBe(201);
    ids.push(created.body.job.id as string);
  }
  return ids;
}

/** Every job completes, and its event log is 1..n with no gap. */
async function expectCompletedGapless(url: string, token: string, ids: string[]): Promise<void> {
  const rest = restClient(url, token);
  for (const id of ids) {
    await waitFor(
      async () => {
        const { body } = await rest.get(`/jobs/${id}`);
        if (['failed', 'cancelled'].includes(body.job.status)) {
          throw new Error(`job ${id} ended ${body.job.status}: ${JSON.stringify(body.job.error)}`);
        }
        return body.job.status === 'completed';
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const { body } = await rest.get(`/jobs/${id}/events?afterSeq=0&limit=1000`);
    const seqs = (body.events as { seq: number }[]).map((event) => event.seq);
    expect(seqs.length).toBeGreaterThan(0);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
  }
}

async function expectSecondServerRefused(ws: Workspace, ownerPid: number): Promise<void> {
  const second = new Proc(process.execPath, [cliMain, 'serve'], ws.cwd, {
    ...ws.env,
    PORT: String(await closedPort()),
  });
  const code = await second.exited;
  expect(code).not.toBe(0);
  expect(second.out).toContain(`DATA_DIR ${ws.dataDir} is in use`);
  expect(second.out).toContain(`pid ${ownerPid}`);
  expect(second.out).not.toMatch(UP_LINE);
}

if (e2eMode() === 'embedded') {
  describe('embedded database: no other local user gets in', () => {
    it(
      'refuses the Postgres protocol on every TCP port of the server, and keeps DATA_DIR private',
      async () => {
        const ws = await workspace();
        const { proc, url } = await serve(ws);
        const ports = listeningTcpPorts(proc.child.pid!);
        // The HTTP/WebSocket port is the only one: the database has none.
        expect(ports).toEqual([Number(new URL(url).port)]);
        for (const port of ports) {
          for (const credentials of [
            { user: 'postgres' },
            { user: 'intruder', password: 'wrong-password' },
          ]) {
            const client = new Client({
              host: '127.0.0.1',
              port,
              database: 'postgres',
              connectionTimeoutMillis: 5_000,
              ...credentials,
            });
            client.on('error', () => undefined);
            const outcome = await client
              .connect()
              .then(() => client.query('SELECT 1'))
              .then(
                () => 'answered',
                () => 'refused',
              );
            await client.end().catch(() => undefined);
            expect({ port, user: credentials.user, outcome }).toEqual({
              port,
              user: credentials.user,
              outcome: 'refused',
            });
          }
        }

        // Files and folders: 0700/0600, and another user cannot list, read or connect.
        expect(fs.statSync(ws.dataDir).mode & 0o777).toBe(0o700);
        expect(fs.statSync(path.join(ws.dataDir, 'pgdata')).mode & 0o077).toBe(0);
        expect(fs.statSync(path.join(ws.dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
        const asNobody = (...args: string[]) =>
          spawnSync('runuser', ['-u', 'nobody', '--', ...args], { encoding: 'utf8' });
        expect(asNobody('ls', path.dirname(ws.dataDir)).status).toBe(0);
        expect(asNobody('ls', ws.dataDir).status).not.toBe(0);
        expect(asNobody('cat', path.join(ws.dataDir, 'admin-token')).status).not.toBe(0);
        const socket = path.join(ws.dataDir, '.s.PGSQL.5432');
        expect(fs.lstatSync(socket).isSocket()).toBe(true);
        const connect = asNobody(
          process.execPath,
          '-e',
          `require('net').connect(${JSON.stringify(socket)}).on('connect', () => process.exit(0)).on('error', (e) => { console.log(e.code); process.exit(3); })`,
        );
        expect({ status: connect.status, out: connect.stdout.trim() }).toEqual({
          status: 3,
          out: 'EACCES',
        });
      },
      2 * START_MS,
    );
  });

  describe('restart after a crash', () => {
    it(
      'starts again after kill -9 of the server as PID 1 of its own PID namespace; jobs complete gapless',
      async () => {
        const ws = await workspace();
        const unshare = ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc'];
        const first = await serve(ws, unshare);
        const inner = childOf(first.proc.child.pid!);
        expect(nsPids(inner).split(/\s+/).pop()).toBe('1');
        const token = adminToken(ws);
        const before = await createJobs(first.url, token, 2);

        process.kill(inner, 'SIGKILL');
        await first.proc.exited;

        const second = await serve(ws, unshare, { PORT: String(await closedPort()) });
        expect(nsPids(childOf(second.proc.child.pid!)).split(/\s+/).pop()).toBe('1');
        const after = await createJobs(second.url, token, 1);
        await expectCompletedGapless(second.url, token, [...before, ...after]);
        await expectSecondServerRefused(ws, 1);
      },
      4 * START_MS,
    );

    it(
      'starts again while the SIGKILLed server is still a zombie; jobs complete gapless',
      async () => {
        const ws = await workspace();
        // A parent that never reaps its child keeps the killed server a zombie.
        const keepZombie = [
          'python3',
          '-c',
          'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os.execv(sys.argv[1], sys.argv[1:])\nprint("child", pid, flush=True)\ntime.sleep(600)',
        ];
        const first = await serve(ws, keepZombie);
        const serverPid = Number((await first.proc.waitFor(/^child (\d+)$/m))[1]);
        const token = adminToken(ws);
        const before = await createJobs(first.url, token, 2);

        process.kill(serverPid, 'SIGKILL');
        await waitFor(() => stateOf(serverPid) === 'Z', { timeoutMs: 10_000, intervalMs: 20 });

        const second = await serve(ws, [], { PORT: String(await closedPort()) });
        // The restart happened inside the zombie window.
        expect(stateOf(serverPid)).toBe('Z');
        const after = await createJobs(second.url, token, 1);
        await expectCompletedGapless(second.url, token, [...before, ...after]);
        await expectSecondServerRefused(ws, second.proc.child.pid!);
      },
      4 * START_MS,
    );
  });

  describe('the admin token stays secret', () => {
    it.each(['json', 'pretty'])(
      'is in no log line with LOG_FORMAT=%s (first start, debug level)',
      async (format) => {
        const ws = await workspace({ LOG_FORMAT: format, LOG_LEVEL: 'debug' });
        const { proc } = await serve(ws);
        await proc.waitFor(/a new admin token was written to that file/);
        const token = adminToken(ws);
        expect(token).toMatch(/^sf_/);
        proc.child.kill('SIGINT');
        await proc.exited;
        expect(proc.out).not.toContain(token);
        expect(proc.out).toContain(`Admin token file: ${path.join(ws.dataDir, 'admin-token')}`);
      },
      2 * START_MS,
    );
  });

  describe('storage readiness', () => {
    it(
      '/health/ready goes 503 naming storage while SKILLS_ROOT takes no write, and 200 again after',
      async () => {
        const ws = await workspace();
        const skillsRoot = path.join(ws.cwd, 'skills');
        ws.env.SKILLS_ROOT = skillsRoot;
        const { url } = await serve(ws);
        const ready = async () => {
          const response = await fetch(`${url}/health/ready`);
          const body = (await response.json()) as {
            message?: string;
            error?: Record<string, { message?: string }>;
            details: Record<string, { status: string }>;
          };
          return { status: response.status, body };
        };
        expect((await ready()).status).toBe(200);

        fs.renameSync(skillsRoot, `${skillsRoot}.away`);
        fs.writeFileSync(skillsRoot, 'not a folder');
        const down = await ready();
        expect(down.status).toBe(503);
        expect(down.body.message).toContain('storage');
        expect(down.body.error?.storage.message).toContain(skillsRoot);
        expect(down.body.details.database.status).toBe('up');

        fs.rmSync(skillsRoot);
        fs.renameSync(`${skillsRoot}.away`, skillsRoot);
        expect((await ready()).status).toBe(200);
      },
      2 * START_MS,
    );
  });
}

// The CLI alone, no server: it holds in either pass, and keeps this file from being empty in the
// services pass (jest fails a file without tests, which broke that pass).
describe('the local admin token stays with its own server (no server started)', () => {
  it(
    'a CLI command with --url to another server and no --token sends no token',
    async () => {
      const ws = await emptyWorkspace();
      fs.mkdirSync(ws.dataDir, { recursive: true });
      fs.writeFileSync(path.join(ws.dataDir, 'admin-token'), 'sf_local_admin_secret\n', {
        mode: 0o600,
      });
      fs.writeFileSync(
        path.join(ws.dataDir, 'server-url'),
        `ws://127.0.0.1:${await closedPort()}/ws\n`,
      );
      const seen: string[] = [];
      const fake = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      fake.on('connection', (socket, request: IncomingMessage) => {
        seen.push(`${request.url} ${JSON.stringify(request.headers)}`);
        socket.on('message', (data: Buffer) => seen.push(data.toString()));
        // It records and hangs up: the client then stops waiting for replies.
        setTimeout(() => socket.close(), 200);
      });
      await new Promise((resolve) => fake.once('listening', resolve));
      const fakeUrl = `ws://127.0.0.1:${(fake.address() as { port: number }).port}/ws`;
      // Asynchronous: the fake server answers from this process's event loop meanwhile.
      const run = async (env: Record<string, string>) => {
        const proc = new Proc(
          process.execPath,
          [cliMain, 'jobs', 'list', '--json', '--url', fakeUrl],
          ws.cwd,
          { ...ws.env, ...env },
        );
        const timer = setTimeout(() => proc.child.kill('SIGKILL'), 60_000);
        const status = await proc.exited;
        clearTimeout(timer);
        return { status, out: proc.out };
      };
      try {
        const refused = await run({});
        expect(refused.status).toBe(2);
        const json = refused.out.slice(refused.out.indexOf('{'));
        const error = (JSON.parse(json) as { error: { code: string; message: string } }).error;
        expect(error.code).toBe('NO_TOKEN');
        expect(error.message).toContain('--token');
        expect(error.message).toContain('SKILL_FLEET_TOKEN');
        expect(seen.join('\n')).not.toContain('sf_local_admin_secret');

        // The fake server does see a token that is meant for it.
        await run({ SKILL_FLEET_TOKEN: 'sf_meant_for_this_server' });
        expect(seen.join('\n')).toContain('sf_meant_for_this_server');
        expect(seen.join('\n')).not.toContain('sf_local_admin_secret');
      } finally {
        await new Promise((resolve) => fake.close(resolve));
      }
    },
    2 * START_MS,
  );
});
