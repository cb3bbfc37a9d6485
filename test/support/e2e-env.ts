import * as fs from 'node:fs';
import * as path from 'node:path';

export type E2eMode = 'embedded' | 'services';

/** What global setup prepared for this run; test files read it back. */
export interface E2eRun {
  mode: E2eMode;
  /** embedded: a migrated DATA_DIR that each test server copies. */
  templateDataDir?: string;
  /** services: the server's admin URL and the migrated template database each test clones. */
  adminDatabaseUrl?: string;
  templateDatabase?: string;
  redisUrl?: string;
  /** Unique per run, so runs never share Bull keys. */
  queuePrefix: string;
}

export const e2eMode = (): E2eMode =>
  process.env.E2E_MODE === 'services' ? 'services' : 'embedded';

/**
 * Global setup names the run file after its own pid and passes the name down in the environment, so
 * two test runs at once (two terminals, two helpers) never read each other's templates.
 */
const RUN_FILE_VARIABLE = 'SF_E2E_RUN_FILE';

const runFile = (): string => {
  process.env[RUN_FILE_VARIABLE] ??= path.resolve(
    __dirname,
    '..',
    '..',
    '.test-results',
    `e2e-${e2eMode()}-${process.pid}.json`,
  );
  return process.env[RUN_FILE_VARIABLE];
};

export const defaultAdminDatabaseUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const defaultRedisUrl = (): string => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function saveRun(run: E2eRun): void {
  fs.mkdirSync(path.dirname(runFile()), { recursive: true });
  fs.writeFileSync(runFile(), JSON.stringify(run));
}

export function loadRun(): E2eRun {
  return JSON.parse(fs.readFileSync(runFile(), 'utf8')) as E2eRun;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function removeRun(): void {
  fs.rmSync(runFile(), { force: true });
}
