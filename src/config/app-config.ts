import * as path from 'node:path';
import {
  EnvironmentVariables,
  llmModelVariable,
  type LlmProviderName,
  LLM_MODEL_STEPS,
  LlmModelStep,
  validateEnvironment,
} from './environment';

export type RunMode = 'embedded' | 'services';

/**
 * The validated, derived settings every part of the service reads. Built once per process from the
 * environment; nothing outside src/config reads process.env.
 */
export class AppConfig {
  readonly mode: RunMode;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly skillsRoot: string;
  /** Unset in embedded mode until the in-process Postgres has started and reported its address. */
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly queuePrefix: string;
  readonly workerConcurrency: number;
  readonly llm: {
    provider: LlmProviderName;
    baseUrl?: string;
    apiKey?: string;
    model?: string;
    /** Per-step models from `LLM_MODEL_<STEP>` (step name → model); steps not named use `model`. */
    models: Partial<Record<LlmModelStep, string>>;
  };
  readonly wsMaxPayload: number;
  /** Size limits of what a promotion or import copies into the skills library. */
  readonly skillCopyLimits: { maxFileBytes: number; maxSkillBytes: number };
  /** Limits of skill.create's `sources` (count, bytes of one, bytes of all). */
  readonly skillSources: { maxCount: number; maxBytesEach: number; maxBytesTotal: number };
  /** The gateway's in-memory tail of recent events per job (0 in either turns it off). */
  readonly replayTail: { maxEventsPerJob: number; maxBytes: number };
  readonly logLevel: EnvironmentVariables['LOG_LEVEL'];
  readonly logFormat: 'pretty' | 'json';
  readonly jobLeaseMs: number;
  readonly sweepIntervalMs: number;
  readonly migrateOnBoot: boolean;
  readonly adminTokenFile: string;
  /** Where a running server records its address: the CLI sends the admin token file's token there only. */
  readonly serverUrlFile: string;

  constructor(env: EnvironmentVariables, isTty = false) {
    this.dataDir = path.resolve(env.DATA_DIR);
    this.mode = env.DATABASE_URL && env.REDIS_URL ? 'services' : 'embedded';
    this.port = env.PORT;
    this.host = env.HOST;
    this.skillsRoot = path.resolve(env.SKILLS_ROOT ?? path.join(this.dataDir, 'skills'));
    this.databaseUrl = env.DATABASE_URL;
    this.redisUrl = env.REDIS_URL;
    this.queuePrefix = env.QUEUE_PREFIX;
    this.workerConcurrency = env.WORKER_CONCURRENCY;
    this.llm = {
      provider: env.LLM_PROVIDER ?? (env.LLM_BASE_URL ? 'openai' : 'offline'),
      baseUrl: env.LLM_BASE_URL,
      apiKey: env.LLM_API_KEY,
      model: env.LLM_MODEL,
      models: Object.fromEntries(
        LLM_MODEL_STEPS.flatMap((step) => {
          const model = env[llmModelVariable(step)];
          return model ? [[step, model]] : [];
        }),
      ),
    };
    this.wsMaxPayload = env.WS_MAX_PAYLOAD;
    this.skillCopyLimits = {
      maxFileBytes: env.SKILL_FILE_MAX_BYTES,
      maxSkillBytes: env.SKILL_MAX_BYTES,
    };
    this.skillSources = {
      maxCount: env.SKILL_SOURCES_MAX_COUNT,
      maxBytesEach: env.SKILL_SOURCE_MAX_BYTES,
      maxBytesTotal: env.SKILL_SOURCES_MAX_BYTES,
    };
    this.replayTail = { maxEventsPerJob: env.REPLAY_TAIL_EVENTS, maxBytes: env.REPLAY_TAIL_BYTES };
    this.logLevel = env.LOG_LEVEL;
    this.logFormat = env.LOG_FORMAT ?? (isTty ? 'pretty' : 'json');
    this.jobLeaseMs = env.JOB_LEASE_SECONDS * 1000;
    this.sweepIntervalMs = env.SWEEP_INTERVAL_MS;
    this.migrateOnBoot = env.DB_MIGRATE_ON_BOOT;
    this.adminTokenFile = path.join(this.dataDir, 'admin-token');
    this.serverUrlFile = path.join(this.dataDir, 'server-url');
  }

  /** Loads and validates the environment; throws ConfigError listing every bad variable. */
  static fromEnvironment(raw: NodeJS.ProcessEnv = process.env): AppConfig {
    return new AppConfig(validateEnvironment(raw), Boolean(process.stdout.isTTY));
  }

  /** A copy with some settings replaced (command-line flags, tests). */
  with(overrides: Partial<Pick<AppConfig, 'port' | 'databaseUrl'>>): AppConfig {
    return Object.assign(Object.create(AppConfig.prototype) as AppConfig, this, overrides);
  }
}
