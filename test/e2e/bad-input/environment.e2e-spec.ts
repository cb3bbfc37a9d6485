import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_VARIABLE_NAMES } from '#src/config/environment';
import { cliWorkDir, removeCliWorkDirs, runCliToEnd } from '#test/support/cli-run';
import { e2eMode } from '#test/support/e2e-env';

const STACK_LINE = /^\s+at /m;

/**
 * A bad value for every variable that has a rule (src/config/environment.ts validates them; its unit
 * tests check each message). HOST, DATA_DIR, SKILLS_ROOT and the LLM key and model take any text.
 */
const BAD_VALUES: Record<string, string> = {
  PORT: '99999',
  DATABASE_URL: 'mysql://db/skills',
  REDIS_URL: 'http://redis:6379',
  QUEUE_PREFIX: 'has spaces!',
  WORKER_CONCURRENCY: '0',
  LLM_PROVIDER: 'magic',
  LLM_BASE_URL: 'ftp://llm',
  LLM_MODEL_REQUIREMENTS: 'gpt 4o',
  LLM_MODEL_PLAN: 'gpt 4o',
  LLM_MODEL_GENERATE: 'gpt 4o',
  LLM_MODEL_REVIEW: 'gpt 4o',
  WS_MAX_PAYLOAD: '10',
  SKILL_FILE_MAX_BYTES: '12',
  SKILL_MAX_BYTES: 'lots',
  SKILL_SOURCES_MAX_COUNT: 'many',
  SKILL_SOURCE_MAX_BYTES: '5',
  SKILL_SOURCES_MAX_BYTES: '-1',
  LOG_LEVEL: 'loud',
  LOG_FORMAT: 'xml',
  JOB_LEASE_SECONDS: '1',
  SWEEP_INTERVAL_MS: '50',
  DB_MIGRATE_ON_BOOT: 'maybe',
  REPLAY_TAIL_EVENTS: '-3',
  REPLAY_TAIL_BYTES: 'big',
};
/** Variables that are wrong only together. */
const BAD_TOGETHER: Record<string, string> = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  LLM_PROVIDER: 'openai',
};

/**
 * The processes a deployment starts refuse a bad environment before touching anything: exit 2, one
 * message naming every bad variable on its own line, no stack, and no DATA_DIR written (no database,
 * no admin token, no lock). The CLI reads the environment itself, so one pass (embedded) is enough.
 */
(e2eMode() === 'embedded' ? describe : describe.skip)('a bad environment', () => {
  afterAll(() => removeCliWorkDirs());

  const start = async (command: string[], env: Record<string, string>) => {
    const dataDir = path.join(cliWorkDir(), 'data');
    const result = await runCliToEnd(command, { dataDir, env });
    return { ...result, dataDirWritten: fs.existsSync(dataDir) };
  };

  it.each([[['serve']], [['serve', '--no-worker']], [['worker']], [['db', 'migrate']]])(
    '%j exits 2 naming every bad variable, and writes nothing',
    async (command) => {
      const result = await start(command, BAD_VALUES);
      expect({ code: result.code, dataDirWritten: result.dataDirWritten }).toEqual({
        code: 2,
        dataDirWritten: false,
      });
      expect(result.stderr).toMatch(/^Invalid configuration:$/m);
      const named = Object.keys(BAD_VALUES).filter((name) =>
        new RegExp(`^ {2}- ${name} `, 'm').test(result.stderr),
      );
      expect(named).toEqual(Object.keys(BAD_VALUES));
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stdout).toBe('');
    },
  );

  it('names the variables that are wrong together, and still writes nothing', async () => {
    const result = await start(['serve'], BAD_TOGETHER);
    expect({ code: result.code, dataDirWritten: result.dataDirWritten }).toEqual({
      code: 2,
      dataDirWritten: false,
    });
    expect(result.stderr).toMatch(/REDIS_URL is set but DATABASE_URL is not/);
    expect(result.stderr).toMatch(/LLM_PROVIDER is openai but LLM_BASE_URL is not set/);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('has a bad value here for every variable with a rule', () => {
    const free = ['HOST', 'DATA_DIR', 'SKILLS_ROOT', 'LLM_API_KEY', 'LLM_MODEL'];
    expect(ENVIRONMENT_VARIABLE_NAMES.filter((name) => !free.includes(name)).sort()).toEqual(
      Object.keys(BAD_VALUES).sort(),
    );
  });
});
