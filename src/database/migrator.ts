import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Arbitrary but fixed: every Skill Fleet process takes this advisory lock before migrating. */
const MIGRATION_LOCK_KEY = 727_172_001;

/**
 * Runs pending migrations while holding a Postgres advisory lock, so processes that start together
 * migrate one after the other instead of racing on the same DDL.
 */
export async function runMigrationsLocked(
  dataSource: DataSource,
  logger?: Logger,
): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) logger?.log(`Applied migration ${migration.name}`);
    return applied.map((migration) => migration.name);
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await runner.release();
  }
}

export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  await dataSource.undoLastMigration({ transaction: 'each' });
}

export interface MigrationState {
  name: string;
  applied: boolean;
}

export async function migrationStatus(dataSource: DataSource): Promise<MigrationState[]> {
  const hasTable = await dataSource.createQueryRunner().hasTable('migrations');
  const rows: { name: string }[] = hasTable
    ? await dataSource.query('SELECT name FROM migrations ORDER BY id')
    : [];
  const applied = new Set(rows.map((row) => row.name));
  return dataSource.migrations.map((migration) => ({
    name: migration.name ?? migration.constructor.name,
    applied: applied.has(migration.name ?? migration.constructor.name),
  }));
}
