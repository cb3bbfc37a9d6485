import * as net from 'node:net';
import type { PGlite } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };

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
 */
export class SessionQueue {
  private readonly pending: Pending[] = [];
  private owner: number | null = null;
  private processing = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: OnData): Promise<number> {
    return new Promise((resolve, reject) => {
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
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    void this.process();
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
  }
}

/** A loopback Postgres server over one PGlite instance, for TypeORM's ordinary `pg` driver. */
export class PGliteServer {
  private readonly sockets = new Set<net.Socket>();
  private server?: net.Server;

  constructor(private readonly db: PGlite) {}

  async start(): Promise<string> {
    const { PGLiteSocketHandler } = await import('@electric-sql/pglite-socket');
    const queue = new SessionQueue(this.db);
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // The handler parses messages; our queue decides the order they reach PGlite.
      const handler = new PGLiteSocketHandler({
        closeOnDetach: true,
        // Typed as the library's own queue class; ours has the same public surface.
        queryQueue: queue as unknown as QueryQueue,
      });
      handler.attach(socket).catch(() => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    this.server = server;
    const { port } = server.address() as net.AddressInfo;
    return `127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
