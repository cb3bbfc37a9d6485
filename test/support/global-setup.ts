import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '#src/database/data-source';
import { EmbeddedPostgres } from '#src/database/embedded-postgres';
import { runMigrationsLocked } from '#src/database/migrator';
import {
  defaultAdminDatabaseUrl,
  defaultRedisUrl,
  e2eMode,
  saveRun,
  withDatabase,
} from './e2e-env';

async function migrate(url: string): Promise<void> {
  const dataSource = await createDataSource(url).initialize();
  try {
    await runMigrationsLocked(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Prepares one migrated template per run (the real migrations, applied once): a DATA_DIR for
 * embedded mode, a template database for services mode. Test servers start from copies of it.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const queuePrefix = `sf-test-${process.pid}-${Date.now()}`;
  if (e2eMode() === 'embedded') {
    const templateDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-e2e-template-'));
    const embedded = await EmbeddedPostgres.start(templateDataDir);
    try {
      await migrate(embedded.url);
    } finally {
      await embedded.stop();
    }
    saveRun({ mode: 'embedded', templateDataDir, queuePrefix });
    return;
  }
  const adminDatabaseUrl = defaultAdminDatabaseUrl();
  const templateDatabase = `sf_tpl_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${templateDatabase}`);
  } finally {
    await admin.end();
  }
  await migrate(withDatabase(adminDatabaseUrl, templateDatabase));
  saveRun({
    mode: 'services',
    adminDatabaseUrl,
    templateDatabase,
    redisUrl: defaultRedisUrl(),
    queuePrefix,
  });
}
