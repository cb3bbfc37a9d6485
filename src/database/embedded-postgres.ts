import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
// An ES module loaded on demand, so its type is taken with ESM resolution too.
import type { PGlite } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };
import { DataDirLock } from './data-dir-lock';
import { PGliteServer } from './pglite-server';
import { makePrivateDir } from './private-dir';

/**
 * How long a connection may hold the embedded database's one session (inside a transaction or an
 * unfinished extended query) without sending anything before it is cut. Every other connection
 * waits meanwhile; the server's own transactions send their statements back to back.
 */
export const IDLE_IN_TRANSACTION_LIMIT_MS = 30_000;

/**
 * Postgres settings for one person's data, passed at every start (they live in no file). Postgres'
 * defaults size memory for a shared server: its 128 MB of shared buffers were most of an idle
 * server's resident memory. 16 MB holds the hot pages of a local install many times over; the WAL
 * buffers follow them; a sort or hash past work_mem spills to disk instead of growing the WASM heap,
 * which never shrinks.
 */
export const EMBEDDED_POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  wal_buffers: '512kB',
  work_mem: '2MB',
  maintenance_work_mem: '16MB',
  temp_buffers: '2MB',
};

/**
 * Postgres for one machine with no setup: PGlite (Postgres compiled to WASM) stored under DATA_DIR and
 * served on a Unix socket in DATA_DIR (PGliteServer), so TypeORM uses its ordinary `postgres` driver.
 * DATA_DIR is made private (0700) first, so no other local user can open the socket or the files.
 * One process owns a DATA_DIR at a time.
 */
export class EmbeddedPostgres {
  private readonly logger = new Logger(EmbeddedPostgres.name);

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGliteServer,
    private readonly lock: DataDirLock,
    readonly url: string,
  ) {}

  static async start(
    dataDir: string,
    options: { idleInTransactionLimitMs?: number } = {},
  ): Promise<EmbeddedPostgres> {
    makePrivateDir(dataDir);
    const lock = await DataDirLock.acquire(dataDir);
    try {
      const pgdata = path.join(dataDir, 'pgdata');
      fs.mkdirSync(pgdata, { recursive: true, mode: 0o700 });
      const { PGlite } = await import('@electric-sql/pglite');
      const db = new PGlite(pgdata, {
        startParams: [
          ...PGlite.defaultStartParams,
          ...Object.entries(EMBEDDED_POSTGRES_SETTINGS).flatMap(([name, value]) => [
            '-c',
            `${name}=${value}`,
          ]),
        ],
      });
      await db.waitReady;
      const server = new PGliteServer(
        db,
        options.idleInTransactionLimitMs ?? IDLE_IN_TRANSACTION_LIMIT_MS,
      );
      const socketDir = await server.start(dataDir);
      const url = `postgres://postgres@/postgres?host=${encodeURIComponent(socketDir)}`;
      return new EmbeddedPostgres(db, server, lock, url);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Stops serving, flushes PGlite to disk and releases DATA_DIR. */
  async stop(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } catch (error) {
      this.logger.warn(`Embedded database did not close cleanly: ${(error as Error).message}`);
    } finally {
      await this.lock.release();
    }
  }
}
