import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { createDataSource } from './data-source';
import { EmbeddedPostgres } from './embedded-postgres';

/**
 * Opens the configured database outside the Nest application (the `db` commands): the embedded one
 * when DATABASE_URL is unset. Always closes what it opened.
 */
export async function withDataSource<T>(
  config: AppConfig,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const embedded = config.databaseUrl ? undefined : await EmbeddedPostgres.start(config.dataDir);
  try {
    const dataSource = await createDataSource(config.databaseUrl ?? embedded!.url).initialize();
    try {
      return await work(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await embedded?.stop();
  }
}
