import * as fs from 'node:fs';
import * as net from 'node:net';
import { socketPathIn } from './private-dir';

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number | undefined) {
    const who =
      pid === undefined
        ? 'another Skill Fleet process'
        : `another Skill Fleet process (pid ${pid})`;
    super(
      `DATA_DIR ${dataDir} is in use by ${who}. ` +
        'The embedded database serves one process: stop that process, point DATA_DIR elsewhere, ' +
        'or set DATABASE_URL and REDIS_URL to run several processes on a shared Postgres and Redis.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** The lock socket's name in DATA_DIR. */
export const LOCK_SOCKET = '.lock';
/** How long a connected owner has to say its pid; the lock is held whether it answers or not. */
const ANSWER_TIMEOUT_MS = 2_000;

type Probe = { held: true; pid: number | undefined } | { held: false };

/**
 * Asks whoever listens on the lock socket. A connection succeeds only while a live process listens
 * there: the kernel closes a process's sockets when it dies, before it is a zombie, so a crashed
 * owner (SIGKILL, a container's PID 1) leaves a file that refuses connections.
 */
function probe(socketPath: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let connected = false;
    let answer = '';
    const done = (result: Probe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const held = (): Probe => {
      const pid = Number(answer.trim());
      return { held: true, pid: Number.isInteger(pid) && pid > 0 ? pid : undefined };
    };
    const timer = setTimeout(() => done(held()), ANSWER_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => (answer = (answer + chunk).slice(0, 32)));
    socket.on('end', () => done(held()));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (connected) return done(held());
      clearTimeout(timer);
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve({ held: false });
      else reject(error);
    });
  });
}

function listen(server: net.Server, socketPath: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(socketPath);
  });
}

/** Removes a lock socket nobody listens on, unless it was replaced since it was probed. */
function removeStale(socketPath: string, probed: fs.Stats): void {
  let now: fs.Stats;
  try {
    now = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (now.ino === probed.ino && now.dev === probed.dev) fs.rmSync(socketPath, { force: true });
}

/**
 * The exclusive right to DATA_DIR: a Unix socket in it that the owner listens on and answers with
 * its pid. The kernel releases it when the owner dies, however it dies, so no pid is ever compared
 * with the running processes (PID 1 in a container, a reused pid or a zombie cannot block a start).
 */
export class DataDirLock {
  private constructor(
    private readonly server: net.Server,
    private readonly socket: { path: string; close(): void },
  ) {}

  /** Needs DATA_DIR to exist; throws DataDirInUseError while another live process holds it. */
  static async acquire(dataDir: string): Promise<DataDirLock> {
    const socket = socketPathIn(dataDir, LOCK_SOCKET);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const server = net.createServer((client) => client.end(`${process.pid}\n`));
        if (await listen(server, socket.path)) {
          // The lock must not keep the process alive on its own.
          server.unref();
          return new DataDirLock(server, socket);
        }
        let before: fs.Stats;
        try {
          before = fs.lstatSync(socket.path);
        } catch {
          continue;
        }
        const found = await probe(socket.path);
        if (found.held) throw new DataDirInUseError(dataDir, found.pid);
        // A plain file is the pid file earlier versions used; nothing else may be removed.
        if (!before.isSocket() && !before.isFile()) {
          throw new Error(`${dataDir}/${LOCK_SOCKET} is not the server's lock socket: remove it`);
        }
        removeStale(socket.path, before);
      }
      throw new Error(`Could not lock DATA_DIR ${dataDir}: its lock socket kept changing`);
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** Closing the listener also removes the socket file. */
  async release(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.socket.close();
  }
}
