import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { waitFor } from '#test/support/wait-for';

/**
 * Work to do even if the test process ends without its afterAll (a crash, a timeout): the private
 * servers and the fleet must not outlive the run. Synchronous, as `exit` handlers must be.
 */
const atExit = new Set<() => void>();
const cleanUpAll = () => {
  for (const cleanUp of atExit) {
    try {
      cleanUp();
    } catch {
      // best effort
    }
  }
  atExit.clear();
};
process.once('exit', cleanUpAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUpAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}
export function onExit(cleanUp: () => void): () => void {
  atExit.add(cleanUp);
  return () => atExit.delete(cleanUp);
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The bin directory of the newest PostgreSQL server installed from Debian's packages. */
function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(`No PostgreSQL server under ${base} (apt-get install postgresql)`);
  }
  return path.join(base, versions[0], 'bin');
}

/**
 * A Postgres cluster of the test's own, in a temporary directory on a free port, so faults can be
 * injected without touching the machine's shared server. initdb and the server refuse to run as
 * root, so as root they run as the `postgres` user.
 */
export class PrivatePostgres {
  private forget?: () => void;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-chaos-pg-'));
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
    const pg = new PrivatePostgres(dir, await freePort(), bin);
    pg.run('initdb', [
      '-D',
      pg.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    pg.ctl('start');
    pg.forget = onExit(() => pg.ctl('stop'));
    return pg;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  private run(tool: string, args: string[]): string {
    const command = path.join(this.bin, tool);
    const asPostgres = process.getuid?.() === 0;
    return execFileSync(
      asPostgres ? 'runuser' : command,
      asPostgres ? ['-u', 'postgres', '--', command, ...args] : args,
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 },
    );
  }

  /**
   * `pg_ctl start|restart|stop`. fsync is off: this cluster lives for one run and is only ever
   * stopped cleanly (`-m fast`), and the machine's disk is shared with other test runs.
   */
  ctl(action: 'start' | 'restart' | 'stop'): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    this.run('pg_ctl', [
      '-D',
      this.dataDir,
      '-m',
      'fast',
      '-w',
      '-l',
      path.join(this.dir, 'server.log'),
      ...(action === 'stop' ? [] : ['-o', options]),
      action,
    ]);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async destroy(): Promise<void> {
    this.forget?.();
    try {
      this.ctl('stop');
    } catch {
      // already stopped
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the test's own on a free port, without persistence, that can be stopped and started. */
export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.up();
    return redis;
  }

  async up(): Promise<void> {
    if (this.child) return;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const forget = onExit(() => child.kill('SIGKILL'));
    child.once('exit', forget);
    await waitFor(() => this.ping(), { timeoutMs: 15000, intervalMs: 100 });
  }

  /** Stops the server (SIGTERM). Without persistence every key, the whole Bull queue included, is gone. */
  async down(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  private async ping(): Promise<boolean> {
    const client = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}
