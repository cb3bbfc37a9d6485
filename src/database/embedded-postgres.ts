import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
// Both are ES modules loaded on demand, so their types are taken with ESM resolution too.
import type { PGlite } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket' with {
  'resolution-mode': 'import',
};
import { DataDirLock } from './data-dir-lock';
import { POOL_SIZE } from './data-source';

/**
 * Postgres for one machine with no setup: PGlite (Postgres compiled to WASM) stored under DATA_DIR and
 * served on a loopback port through pglite-socket, so TypeORM uses its ordinary `postgres` driver.
 * One process owns a DATA_DIR at a time.
 */
export class EmbeddedPostgres {
  private readonly logger = new Logger(EmbeddedPostgres.name);

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock,
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const lock = DataDirLock.acquire(dataDir);
    try {
      const pgdata = path.join(dataDir, 'pgdata');
      fs.mkdirSync(pgdata, { recursive: true });
      const { PGlite } = await import('@electric-sql/pglite');
      const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
      const db = new PGlite(pgdata);
      await db.waitReady;
      // Headroom over the pool for the migration lock connection and health checks.
      const server = new PGLiteSocketServer({
        db,
        host: '127.0.0.1',
        port: 0,
        maxConnections: POOL_SIZE + 5,
      });
      await server.start();
      const url = `postgres://postgres@${server.getServerConn()}/postgres`;
      return new EmbeddedPostgres(db, server, lock, url);
    } catch (error) {
      lock.release();
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
      this.lock.release();
    }
  }
}
