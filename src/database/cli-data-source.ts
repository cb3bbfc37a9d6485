import { AppConfig } from '../config/app-config';
import { createDataSource } from './data-source';

/**
 * Entry for the TypeORM CLI (`npm run migration:generate -- migrations/<Name>`), which needs a file
 * exporting exactly one DataSource. Generation diffs against a real Postgres, so DATABASE_URL is required.
 */
const config = AppConfig.fromEnvironment();
if (!config.databaseUrl) {
  throw new Error('Set DATABASE_URL to a scratch Postgres database to generate a migration');
}
export default createDataSource(config.databaseUrl);
