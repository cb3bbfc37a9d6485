import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';
import { redactUrlPasswords } from '../common/logging/redact-url';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'verbose'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
export const LLM_PROVIDERS = ['offline', 'openai', 'anthropic', 'gemini'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];
/** The LLM steps of skill.create that may have their own model: `LLM_MODEL_<STEP>`. */
export const LLM_MODEL_STEPS = ['requirements', 'plan', 'generate', 'review'] as const;
export type LlmModelStep = (typeof LLM_MODEL_STEPS)[number];
export const llmModelVariable = (step: LlmModelStep) =>
  `LLM_MODEL_${step.toUpperCase()}` as `LLM_MODEL_${Uppercase<LlmModelStep>}`;

/** A model id as endpoints name them (`gpt-4o-mini`, `llama3.1:8b`, `org/model`): no spaces. */
const MODEL_NAME = /^\S{1,200}$/;
const MODEL_NAME_MESSAGE = 'must be a model name without spaces';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  value === '' ? undefined : value;
const toBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

export const ENVIRONMENT_VARIABLE_NAMES = [
  'PORT',
  'HOST',
  'DATA_DIR',
  'SKILLS_ROOT',
  'DATABASE_URL',
  'REDIS_URL',
  'QUEUE_PREFIX',
  'WORKER_CONCURRENCY',
  'LLM_PROVIDER',
  'LLM_BASE_URL',
  'LLM_API_KEY',
  'LLM_MODEL',
  'LLM_MODEL_REQUIREMENTS',
  'LLM_MODEL_PLAN',
  'LLM_MODEL_GENERATE',
  'LLM_MODEL_REVIEW',
  'WS_MAX_PAYLOAD',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'JOB_LEASE_SECONDS',
  'SWEEP_INTERVAL_MS',
  'DB_MIGRATE_ON_BOOT',
  'SKILL_FILE_MAX_BYTES',
  'SKILL_MAX_BYTES',
  'SKILL_SOURCES_MAX_COUNT',
  'SKILL_SOURCE_MAX_BYTES',
  'SKILL_SOURCES_MAX_BYTES',
  'REPLAY_TAIL_EVENTS',
  'REPLAY_TAIL_BYTES',
] as const;

/**
 * Every variable the service reads, validated once at boot. The names are part of the contract
 * (protocol.md §3); `.env.example` mirrors this class.
 */
export class EnvironmentVariables {
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(0, { message: 'must be between 0 and 65535' })
  @Max(65535, { message: 'must be between 0 and 65535' })
  PORT: number = 3000;

  @IsString()
  @MinLength(1)
  HOST: string = '127.0.0.1';

  @IsString()
  @MinLength(1)
  DATA_DIR: string = './data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SKILLS_ROOT?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s/]+(\/[^\s]*)?$/, {
    message: 'must be a postgres:// or postgresql:// URL, e.g. postgres://user@127.0.0.1:5432/db',
  })
  DATABASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  })
  REDIS_URL?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9:_-]{1,64}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 : _ -' })
  QUEUE_PREFIX: string = 'skill-fleet';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be between 1 and 256' })
  @Max(256, { message: 'must be between 1 and 256' })
  WORKER_CONCURRENCY: number = 4;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(LLM_PROVIDERS, { message: `must be one of: ${LLM_PROVIDERS.join(', ')}` })
  LLM_PROVIDER?: (typeof LLM_PROVIDERS)[number];

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http:// or https:// URL' })
  LLM_BASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  LLM_API_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  LLM_MODEL?: string;

  // Per-step models (any model provider): the step's model instead of LLM_MODEL.
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(MODEL_NAME, { message: MODEL_NAME_MESSAGE })
  LLM_MODEL_REQUIREMENTS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(MODEL_NAME, { message: MODEL_NAME_MESSAGE })
  LLM_MODEL_PLAN?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(MODEL_NAME, { message: MODEL_NAME_MESSAGE })
  LLM_MODEL_GENERATE?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(MODEL_NAME, { message: MODEL_NAME_MESSAGE })
  LLM_MODEL_REVIEW?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1024, { message: 'must be between 1024 and 67108864 bytes' })
  @Max(64 * 1024 * 1024, { message: 'must be between 1024 and 67108864 bytes' })
  WS_MAX_PAYLOAD: number = 1024 * 1024;

  /** The largest file a promotion or import copies into the library. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1024, { message: 'must be between 1024 and 1073741824 bytes' })
  @Max(1024 * 1024 * 1024, { message: 'must be between 1024 and 1073741824 bytes' })
  SKILL_FILE_MAX_BYTES: number = 10 * 1024 * 1024;

  /** The largest skill folder (all its files together) a promotion or import copies. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1024, { message: 'must be between 1024 and 4294967296 bytes' })
  @Max(4 * 1024 * 1024 * 1024, { message: 'must be between 1024 and 4294967296 bytes' })
  SKILL_MAX_BYTES: number = 50 * 1024 * 1024;

  /** skill.create `sources`: how many a job may carry. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(0, { message: 'must be between 0 and 1000' })
  @Max(1000, { message: 'must be between 0 and 1000' })
  SKILL_SOURCES_MAX_COUNT: number = 20;

  /** skill.create `sources`: the largest one, in bytes of UTF-8. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1024, { message: 'must be between 1024 and 16777216 bytes' })
  @Max(16 * 1024 * 1024, { message: 'must be between 1024 and 16777216 bytes' })
  SKILL_SOURCE_MAX_BYTES: number = 128 * 1024;

  /** skill.create `sources`: all of a job's together, in bytes of UTF-8 (they travel in one frame). */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(1024, { message: 'must be between 1024 and 16777216 bytes' })
  @Max(16 * 1024 * 1024, { message: 'must be between 1024 and 16777216 bytes' })
  SKILL_SOURCES_MAX_BYTES: number = 384 * 1024;

  /** Events of each job the gateway keeps in memory to serve a replay without the database. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(0, { message: 'must be between 0 and 100000' })
  @Max(100_000, { message: 'must be between 0 and 100000' })
  REPLAY_TAIL_EVENTS: number = 256;

  /** Bytes of encoded events that tail holds across all jobs; the least recently used go first. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(0, { message: 'must be between 0 and 1073741824 bytes' })
  @Max(1024 * 1024 * 1024, { message: 'must be between 0 and 1073741824 bytes' })
  REPLAY_TAIL_BYTES: number = 8 * 1024 * 1024;

  @IsIn(LOG_LEVELS, { message: `must be one of: ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(LOG_FORMATS, { message: `must be one of: ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT?: (typeof LOG_FORMATS)[number];

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(5, { message: 'must be between 5 and 3600 seconds' })
  @Max(3600, { message: 'must be between 5 and 3600 seconds' })
  JOB_LEASE_SECONDS: number = 30;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(100, { message: 'must be between 100 and 600000 ms' })
  @Max(600000, { message: 'must be between 100 and 600000 ms' })
  SWEEP_INTERVAL_MS: number = 5000;

  @Transform(toBoolean)
  @IsOptional()
  @IsIn([true, false], { message: 'must be true or false' })
  DB_MIGRATE_ON_BOOT: boolean = true;
}

/** Raised at boot when any variable is bad; its message lists every bad variable on its own line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Variables whose value is never repeated in an error: it is a secret as a whole. */
const SECRET_VARIABLES = new Set(['LLM_API_KEY']);

const describe = (error: ValidationError): string => {
  const reasons = Object.values(error.constraints ?? {});
  const shown =
    typeof error.value === 'string' && !SECRET_VARIABLES.has(error.property)
      ? ` (got "${redactUrlPasswords(error.value).slice(0, 80)}")`
      : '';
  return `${error.property} ${reasons[0] ?? 'is invalid'}${shown}`;
};

/** `LLM_MODEL_<STEP>` for a step that has no LLM call (a typo would silently use LLM_MODEL). */
function unknownModelVariables(raw: Record<string, unknown>): string[] {
  const known = new Set<string>(LLM_MODEL_STEPS.map(llmModelVariable));
  return Object.keys(raw)
    .filter((name) => name.startsWith('LLM_MODEL_') && !known.has(name))
    .filter((name) => raw[name] !== undefined && raw[name] !== '')
    .sort()
    .map((name) => `${name} names no LLM step; per-step models are ${[...known].join(', ')}`);
}

/** Validates the raw environment. Used by ConfigModule's `validate` hook and by every entry point. */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const picked = Object.fromEntries(
    ENVIRONMENT_VARIABLE_NAMES.filter((name) => raw[name] !== undefined).map((name) => [
      name,
      raw[name],
    ]),
  );
  const env = plainToInstance(EnvironmentVariables, picked);
  const problems = validateSync(env).map(describe);
  if (env.REDIS_URL && !env.DATABASE_URL) {
    problems.push(
      'REDIS_URL is set but DATABASE_URL is not: the embedded database serves one process, so a shared queue needs a shared Postgres too',
    );
  }
  if (env.SKILL_SOURCES_MAX_BYTES >= env.WS_MAX_PAYLOAD) {
    problems.push(
      'SKILL_SOURCES_MAX_BYTES must be below WS_MAX_PAYLOAD: the sources travel in one jobs.create frame',
    );
  }
  if (env.LLM_PROVIDER === 'openai' && !env.LLM_BASE_URL) {
    problems.push('LLM_PROVIDER is openai but LLM_BASE_URL is not set');
  }
  if ((env.LLM_PROVIDER === 'anthropic' || env.LLM_PROVIDER === 'gemini') && !env.LLM_API_KEY) {
    problems.push(`LLM_PROVIDER is ${env.LLM_PROVIDER} but LLM_API_KEY is not set`);
  }
  problems.push(...unknownModelVariables(raw));
  if (problems.length > 0) throw new ConfigError(problems);
  return env;
}
