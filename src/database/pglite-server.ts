import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { PGlite } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };
import { socketPathIn } from './private-dir';

type QueryQueue = NonNullable<
  ConstructorParameters<
    (typeof import('@electric-sql/pglite-socket', {
      with: { 'resolution-mode': 'import' },
    }))['PGLiteSocketHandler']
  >[0]['queryQueue']
>;

type OnData = (data: Uint8Array) => void;

interface Pending {
  handlerId: number;
  message: Uint8Array;
  onData: OnData;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

/** Extended-query messages: Parse, Bind, Describe, Execute, Close, Flush. A Sync ends the sequence. */
const EXTENDED_QUERY = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

/**
 * Serialises the Postgres wire protocol of many client connections onto PGlite's one session.
 *
 * pglite-socket's own queue interleaves connections message by message outside transactions, so one
 * connection's Parse can replace another's unnamed statement before its Bind ("unnamed prepared
 * statement does not exist"). This queue keeps the session with one connection from the first
 * message of an extended-query sequence to its Sync, and for the whole of a transaction.
 *
 * Holding the session blocks every other connection, so a holder that sends nothing for
 * `idleLimitMs` is cut: its transaction is rolled back and `cut` closes its connection. This stands
 * in for `idle_in_transaction_session_timeout`, which PGlite does not honour (with it set, the
 * session hangs once the timeout passes).
 */
export class SessionQueue {
  private readonly pending: Pending[] = [];
  private owner: number | null = null;
  private processing = false;
  private idleTimer?: { holder: number; timer: NodeJS.Timeout };

  constructor(
    private readonly db: PGlite,
    private readonly idleLimitMs: number,
    private readonly cut: (handlerId: number) => void,
  ) {}

  enqueue(handlerId: number, message: Uint8Array, onData: OnData): Promise<number> {
    return new Promise((resolve, reject) => {
      if (handlerId === this.owner) this.stopIdleTimer();
      this.pending.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.pending.length;
  }

  clearQueueForHandler(handlerId: number): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i].handlerId === handlerId) {
        this.pending.splice(i, 1)[0].reject(new Error('Handler disconnected'));
      }
    }
  }

  /** A connection that leaves mid-transaction or mid-sequence must not keep the session. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    this.stopIdleTimer();
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    void this.process();
  }

  /** Runs from the holder's last message: other connections' messages do not restart it. */
  private startIdleTimer(): void {
    const holder = this.owner;
    if (holder === null || this.idleTimer?.holder === holder) return;
    this.stopIdleTimer();
    const timer = setTimeout(() => {
      this.idleTimer = undefined;
      this.clearQueueForHandler(holder);
      void this.clearTransactionIfNeeded(holder).finally(() => this.cut(holder));
    }, this.idleLimitMs);
    timer.unref();
    this.idleTimer = { holder, timer };
  }

  private stopIdleTimer(): void {
    clearTimeout(this.idleTimer?.timer);
    this.idleTimer = undefined;
  }

  private next(): Pending | undefined {
    if (this.owner === null) return this.pending.shift();
    const index = this.pending.findIndex((item) => item.handlerId === this.owner);
    return index === -1 ? undefined : this.pending.splice(index, 1)[0];
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item!.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item!.onData(data);
              },
            }),
          );
        } catch (error) {
          item.reject(error as Error);
          continue;
        }
        const inSequence = EXTENDED_QUERY.has(item.message[0]);
        this.owner = inSequence || this.db.isInTransaction() ? item.handlerId : null;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
    // Nothing of the holder's is waiting: it is idle from here until its next message.
    if (this.owner !== null) this.startIdleTimer();
  }
}

/** The socket's name, as `pg` derives it from a directory `host` and the default port. */
export const PG_SOCKET_NAME = '.s.PGSQL.5432';

/** An ErrorResponse as Postgres sends it before closing a session idle in a transaction too long. */
function idleTimeoutError(): Buffer {
  const fields = [
    ['S', 'FATAL'],
    ['V', 'FATAL'],
    ['C', '25P03'],
    ['M', 'terminating connection due to idle-in-transaction timeout'],
  ];
  const body = Buffer.concat([
    ...fields.map(([code, text]) => Buffer.from(`${code}${text}\0`, 'utf8')),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0, 'ascii');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/**
 * A Postgres server over one PGlite instance for TypeORM's ordinary `pg` driver, on a Unix socket in
 * a folder only the server's user can enter: there is no TCP port another local user could reach.
 */
export class PGliteServer {
  private readonly sockets = new Map<number, net.Socket>();
  private server?: net.Server;
  private socketPath?: { path: string; close(): void };

  constructor(
    private readonly db: PGlite,
    private readonly idleInTransactionLimitMs: number,
  ) {}

  /** Listens in `dir` and returns the folder to give `pg` as its `host`. */
  async start(dir: string): Promise<string> {
    const { PGLiteSocketHandler } = await import('@electric-sql/pglite-socket');
    const queue = new SessionQueue(this.db, this.idleInTransactionLimitMs, (handlerId) => {
      const socket = this.sockets.get(handlerId);
      socket?.end(idleTimeoutError(), () => socket.destroy());
    });
    const server = net.createServer((socket) => {
      // The handler parses messages; our queue decides the order they reach PGlite.
      const handler = new PGLiteSocketHandler({
        closeOnDetach: true,
        // Typed as the library's own queue class; ours has the same public surface.
        queryQueue: queue as unknown as QueryQueue,
      });
      this.sockets.set(handler.handlerId, socket);
      socket.on('close', () => this.sockets.delete(handler.handlerId));
      handler.attach(socket).catch(() => socket.destroy());
    });
    const socketPath = socketPathIn(dir, PG_SOCKET_NAME);
    try {
      // The caller holds DATA_DIR's lock, so a socket file still there is a crashed run's.
      fs.rmSync(socketPath.path, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath.path, resolve);
      });
      fs.chmodSync(socketPath.path, 0o600);
    } catch (error) {
      socketPath.close();
      throw error;
    }
    this.server = server;
    this.socketPath = socketPath;
    return path.dirname(socketPath.path);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets.values()) socket.destroy();
    await closed;
    this.socketPath?.close();
  }
}
