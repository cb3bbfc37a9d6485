import * as fs from 'node:fs';
import { Client } from 'pg';
import { loadRun, removeRun } from './e2e-env';

export default async function globalTeardown(): Promise<void> {
  const run = loadRun();
  removeRun();
  if (run.templateDataDir) fs.rmSync(run.templateDataDir, { recursive: true, force: true });
  if (run.adminDatabaseUrl && run.templateDatabase) {
    const admin = new Client({ connectionString: run.adminDatabaseUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${run.templateDatabase}`);
    } finally {
      await admin.end();
    }
  }
}
