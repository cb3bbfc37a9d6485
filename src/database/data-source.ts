import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '#migrations/index';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/** Connections per process. The embedded server is sized to match (see EmbeddedPostgres). */
export const POOL_SIZE = 10;

/**
 * The one DataSource definition, shared by the application (TypeOrmModule), the `db` commands and
 * the TypeORM CLI (src/database/cli-data-source.ts). Schema changes only ever come from migrations.
 */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    extra: { max: POOL_SIZE, connectionTimeoutMillis: 5000 },
  };
}

export function createDataSource(url: string): DataSource {
  return new DataSource(dataSourceOptions(url));
}
