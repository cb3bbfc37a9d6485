import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Command, CommandRunner, Option } from 'nest-commander';
import { AppConfig } from '#src/config/app-config';
import { DataDirInUseError } from '#src/database/data-dir-lock';
import { migrationStatus } from '#src/database/migrator';
import { readServerUrl } from '#src/modules/auth/admin-token-file';
import { withDataSource } from '#src/database/standalone';
import { AiSdkProvider } from '#src/modules/llm/ai-sdk.provider';
import { LlmProvider } from '#src/modules/llm/llm-provider';
import { createLlmProvider } from '#src/modules/llm/llm.module';
import { EXIT_OK, EXIT_REFUSED } from '../exit-codes';
import { loadConfig } from '../load-config';
import { Printer } from '../printer';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  message: string;
  fix: string | null;
}

const CHECK_TIMEOUT_MS = 10_000;
/** Less free space than this under DATA_DIR fails the disk check. */
const MIN_FREE_BYTES = 512 * 1024 * 1024;

const pass = (name: string, message: string): DoctorCheck => ({
  name,
  ok: true,
  message,
  fix: null,
});
const failed = (name: string, message: string, fix: string): DoctorCheck => ({
  name,
  ok: false,
  message,
  fix,
});
const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS / 1000} s`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The database and its migrations: two checks. */
async function checkDatabase(config: AppConfig): Promise<DoctorCheck[]> {
  const start =
    'start the server once (`npm start`), which creates and migrates it, or run `skill-fleet db migrate`';
  if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDir, 'pgdata'))) {
    return [
      failed('database', `No embedded database under ${config.dataDir} yet`, start),
      failed('migrations', 'Not checked: there is no database yet', start),
    ];
  }
  try {
    const status = await withTimeout(withDataSource(config, migrationStatus), 'The database');
    const where = config.databaseUrl ? 'Postgres (DATABASE_URL)' : `embedded, ${config.dataDir}`;
    const pending = status.filter((m) => !m.applied).map((m) => m.name);
    return [
      pass('database', `Reachable (${where})`),
      pending.length === 0
        ? pass('migrations', `All ${status.length} migrations applied`)
        : failed(
            'migrations',
            `${pending.length} pending: ${pending.join(', ')}`,
            'run `skill-fleet db migrate` (the server also migrates on start)',
          ),
    ];
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      const message = 'A server is running on this DATA_DIR (it holds the embedded database)';
      return [pass('database', message), pass('migrations', `${message}; it migrated on start`)];
    }
    const fix = config.databaseUrl
      ? 'check DATABASE_URL and that Postgres is running'
      : `check that ${config.dataDir} is readable and writable`;
    return [
      failed('database', `Not reachable: ${messageOf(error)}`, fix),
      failed('migrations', 'Not checked: the database is not reachable', fix),
    ];
  }
}

async function checkRedis(config: AppConfig): Promise<DoctorCheck> {
  if (!config.redisUrl) return pass('redis', 'Not used (in-process queue, REDIS_URL unset)');
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 5_000,
  });
  redis.on('error', () => undefined);
  try {
    await withTimeout(
      redis.connect().then(() => redis.ping()),
      'Redis',
    );
    return pass('redis', 'Reachable (REDIS_URL)');
  } catch (error) {
    return failed(
      'redis',
      `Not reachable: ${messageOf(error)}`,
      'check REDIS_URL and that Redis is running',
    );
  } finally {
    redis.disconnect();
  }
}

function checkSkillsRoot(config: AppConfig): DoctorCheck {
  const root = config.skillsRoot;
  if (!fs.existsSync(root)) {
    return failed(
      'skills-root',
      `${root} does not exist`,
      `start the server once (it creates it), or \`mkdir -p ${root}\``,
    );
  }
  try {
    if (!fs.statSync(root).isDirectory()) {
      return failed('skills-root', `${root} is not a folder`, 'set SKILLS_ROOT to a folder');
    }
    fs.accessSync(root, fs.constants.W_OK);
    return pass('skills-root', `${root} exists and is writable`);
  } catch {
    return failed(
      'skills-root',
      `${root} is not writable`,
      `give this user write access to ${root}`,
    );
  }
}

/** One cheap call (a one-word answer) to the configured provider's default model. */
async function checkLlm(config: AppConfig): Promise<DoctorCheck> {
  if (config.llm.provider === 'offline') {
    return pass('llm', 'Offline provider: no endpoint to check');
  }
  let provider: LlmProvider;
  try {
    provider = createLlmProvider(config.llm, {}, { retries: 0 });
  } catch (error) {
    return failed('llm', `LLM settings are unusable: ${messageOf(error)}`, 'check LLM_BASE_URL');
  }
  if (!(provider instanceof AiSdkProvider))
    return pass('llm', `${provider.name}: nothing to check`);
  const result = await provider.probe(AbortSignal.timeout(CHECK_TIMEOUT_MS));
  return result.ok
    ? pass('llm', result.detail)
    : failed('llm', result.detail, result.hint ?? 'check the LLM settings');
}

function checkAdminToken(config: AppConfig): DoctorCheck {
  const file = config.adminTokenFile;
  const fix =
    'start the server once (it writes the admin token there), or pass --token to remote commands';
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    return token
      ? pass('admin-token', `${file} exists`)
      : failed('admin-token', `${file} is empty`, fix);
  } catch {
    return failed('admin-token', `${file} does not exist`, fix);
  }
}

async function checkDisk(config: AppConfig): Promise<DoctorCheck> {
  let dir = config.dataDir;
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    const stats = await fs.promises.statfs(dir);
    const free = stats.bavail * stats.bsize;
    const message = `${formatBytes(free)} free under ${dir}`;
    return free >= MIN_FREE_BYTES
      ? pass('disk', message)
      : failed('disk', message, `free some space (at least ${formatBytes(MIN_FREE_BYTES)})`);
  } catch (error) {
    return failed('disk', `Could not read free space: ${messageOf(error)}`, `check ${dir}`);
  }
}

/** prom-client's figure of the process's resident memory, in bytes, in the /metrics text. */
const RESIDENT_MEMORY = /^skill_fleet_process_resident_memory_bytes (\S+)$/m;

/**
 * The server running on this DATA_DIR, if any, and its resident memory, read from its /metrics
 * (which needs no token). Informational: no server running is fine.
 */
export async function checkServer(config: AppConfig): Promise<DoctorCheck> {
  const recorded = readServerUrl(config.serverUrlFile);
  let origin: string;
  try {
    origin = new URL(recorded ?? '').origin.replace(/^ws/, 'http');
  } catch {
    return pass('server', 'No server is running on this DATA_DIR');
  }
  let text: string;
  try {
    const response = await fetch(`${origin}/metrics`, {
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    text = response.ok ? await response.text() : '';
  } catch {
    return pass('server', `No server is running on this DATA_DIR (${origin} does not answer)`);
  }
  const bytes = Number(RESIDENT_MEMORY.exec(text)?.[1]);
  return Number.isFinite(bytes) && bytes > 0
    ? pass('server', `Running at ${origin}: ${formatBytes(bytes)} resident memory`)
    : failed(
        'server',
        `${origin} answers, but its /metrics has no resident memory figure`,
        `check that the server recorded in ${config.serverUrlFile} is skill-fleet`,
      );
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

async function runChecks(config: AppConfig): Promise<DoctorCheck[]> {
  const [database, redis, llm, disk, server] = await Promise.all([
    checkDatabase(config),
    checkRedis(config),
    checkLlm(config),
    checkDisk(config),
    checkServer(config),
  ]);
  return [...database, redis, checkSkillsRoot(config), llm, checkAdminToken(config), disk, server];
}

@Command({
  name: 'doctor',
  description:
    'Check this machine’s setup (database, migrations, Redis, skills root, LLM, token, disk) and a running server’s memory; no server needed',
})
export class DoctorCommand extends CommandRunner {
  constructor(private readonly printer: Printer) {
    super();
  }

  async run(_args: string[], options: { json?: boolean }): Promise<void> {
    const checks = await runChecks(loadConfig());
    const ok = checks.every((c) => c.ok);
    this.printer.result(options.json === true, { ok, checks }, () => {
      for (const c of checks) {
        this.printer.line(`${c.ok ? '[ok]  ' : '[FAIL]'} ${c.name.padEnd(11)} ${c.message}`);
        if (c.fix) this.printer.line(`       fix: ${c.fix}`);
      }
      this.printer.line(ok ? 'All checks passed.' : 'Some checks failed.');
    });
    process.exitCode = ok ? EXIT_OK : EXIT_REFUSED;
  }

  @Option({ flags: '--json', description: 'Print one JSON document' })
  parseJson(): boolean {
    return true;
  }
}
