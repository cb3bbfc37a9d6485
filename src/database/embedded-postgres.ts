import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
// An ES module loaded on demand, so its type is taken with ESM resolution too.
import type { PGlite } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };
import { DataDirLock } from './data-dir-lock';
import { PGliteServer } from './pglite-server';

/**
 * Postgres for one machine with no setup: PGlite (Postgres compiled to WASM) stored under DATA_DIR and
 * served on a loopback port (PGliteServer), so TypeORM uses its ordinary `postgres` driver.
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

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const lock = DataDirLock.acquire(dataDir);
    try {
      const pgdata = path.join(dataDir, 'pgdata');
      fs.mkdirSync(pgdata, { recursive: true });
      const { PGlite } = await import('@electric-sql/pglite');
      const db = new PGlite(pgdata);
      await db.waitReady;
      const server = new PGliteServer(db);
      const url = `postgres://postgres@${await server.start()}/postgres`;
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
