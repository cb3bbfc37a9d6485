import * as path from 'node:path';
import { thrown } from '#test/support/refusal';
import { AppConfig } from './app-config';
import { ConfigError, validateEnvironment } from './environment';

const SERVICES = {
  DATABASE_URL: 'postgres://fleet:secret@127.0.0.1:5432/fleet',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

/** The ConfigError that validating `raw` throws (fails the test if it does not throw one). */
const configErrorFor = (raw: Record<string, string>): ConfigError =>
  thrown(() => validateEnvironment(raw), ConfigError);

describe('validateEnvironment and AppConfig.fromEnvironment', () => {
  describe('valid environments', () => {
    it('uses the defaults for an empty environment: embedded mode, port 3000, dataDir resolved', () => {
      const config = AppConfig.fromEnvironment({});
      expect(config.mode).toBe('embedded');
      expect(config.port).toBe(3000);
      expect(config.host).toBe('127.0.0.1');
      expect(path.isAbsolute(config.dataDir)).toBe(true);
      expect(config.dataDir).toBe(path.resolve('./data'));
      expect(config.skillsRoot).toBe(path.join(config.dataDir, 'skills'));
      expect(config.adminTokenFile).toBe(path.join(config.dataDir, 'admin-token'));
      expect(config.databaseUrl).toBeUndefined();
      expect(config.redisUrl).toBeUndefined();
      expect(config.llm.provider).toBe('offline');
      expect(config.workerConcurrency).toBe(4);
      expect(config.migrateOnBoot).toBe(true);
    });

    it('resolves a relative DATA_DIR against the working directory', () => {
      const config = AppConfig.fromEnvironment({ DATA_DIR: 'some/where' });
      expect(config.dataDir).toBe(path.resolve('some/where'));
    });

    it('runs in services mode when DATABASE_URL and REDIS_URL are both set', () => {
      const config = AppConfig.fromEnvironment({ ...SERVICES, PORT: '8080' });
      expect(config.mode).toBe('services');
      expect(config.port).toBe(8080);
      expect(config.databaseUrl).toBe(SERVICES.DATABASE_URL);
      expect(config.redisUrl).toBe(SERVICES.REDIS_URL);
    });

    it('stays embedded with DATABASE_URL alone, and treats empty values as unset', () => {
      expect(AppConfig.fromEnvironment({ DATABASE_URL: SERVICES.DATABASE_URL }).mode).toBe(
        'embedded',
      );
      const config = AppConfig.fromEnvironment({ DATABASE_URL: '', REDIS_URL: '' });
      expect(config.mode).toBe('embedded');
      expect(config.databaseUrl).toBeUndefined();
    });

    it('defaults the LLM provider to openai when LLM_BASE_URL is set', () => {
      const config = AppConfig.fromEnvironment({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1' });
      expect(config.llm).toMatchObject({
        provider: 'openai',
        baseUrl: 'http://127.0.0.1:11434/v1',
      });
    });

    it('keeps an explicit offline provider even with LLM_BASE_URL set', () => {
      const config = AppConfig.fromEnvironment({
        LLM_PROVIDER: 'offline',
        LLM_BASE_URL: 'https://llm.example.com/v1',
      });
      expect(config.llm.provider).toBe('offline');
    });

    it('reads per-step models from LLM_MODEL_<STEP>', () => {
      const config = AppConfig.fromEnvironment({
        LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
        LLM_MODEL: 'llama3.1:8b',
        LLM_MODEL_GENERATE: 'qwen2.5-coder:32b',
        LLM_MODEL_REVIEW: 'org/critic-model',
        LLM_MODEL_PLAN: '',
      });
      expect(config.llm.model).toBe('llama3.1:8b');
      expect(config.llm.models).toEqual({
        generate: 'qwen2.5-coder:32b',
        review: 'org/critic-model',
      });
      expect(AppConfig.fromEnvironment({}).llm.models).toEqual({});
    });

    it('ignores variables it does not own', () => {
      expect(() => validateEnvironment({ HOME: '/root', PORT_X: 'nonsense' })).not.toThrow();
    });
  });

  describe('invalid environments', () => {
    it.each<[string, Record<string, string>, RegExp]>([
      ['a malformed DATABASE_URL', { DATABASE_URL: 'mysql://x' }, /DATABASE_URL .*postgres/],
      ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'localhost:5432' }, /DATABASE_URL/],
      ['PORT out of range', { PORT: '99999' }, /PORT must be between 0 and 65535/],
      ['a non-numeric PORT', { PORT: 'eighty' }, /PORT must .*\(got "eighty"\)/],
      ['a fractional PORT', { PORT: '80.5' }, /PORT must .*\(got "80.5"\)/],
      ['an unknown LLM_PROVIDER', { LLM_PROVIDER: 'foo' }, /LLM_PROVIDER must be one of/],
      [
        'LLM_PROVIDER=anthropic without LLM_API_KEY',
        { LLM_PROVIDER: 'anthropic' },
        /LLM_PROVIDER is anthropic but LLM_API_KEY is not set/,
      ],
      [
        'LLM_PROVIDER=gemini without LLM_API_KEY',
        { LLM_PROVIDER: 'gemini' },
        /LLM_PROVIDER is gemini but LLM_API_KEY is not set/,
      ],
      [
        'LLM_PROVIDER=openai without LLM_BASE_URL',
        { LLM_PROVIDER: 'openai' },
        /LLM_PROVIDER is openai but LLM_BASE_URL is not set/,
      ],
      [
        'REDIS_URL without DATABASE_URL',
        { REDIS_URL: SERVICES.REDIS_URL },
        /REDIS_URL is set but DATABASE_URL is not/,
      ],
      ['a malformed REDIS_URL', { ...SERVICES, REDIS_URL: 'http://x' }, /REDIS_URL .*redis/],
      [
        'a per-step model with a space',
        { LLM_MODEL_GENERATE: 'gpt 4o' },
        /LLM_MODEL_GENERATE must be a model name without spaces \(got "gpt 4o"\)/,
      ],
      [
        'a per-step model for a step that does not exist',
        { LLM_MODEL_GENERATION: 'gpt-4o' },
        /LLM_MODEL_GENERATION names no LLM step; per-step models are LLM_MODEL_REQUIREMENTS, LLM_MODEL_PLAN, LLM_MODEL_GENERATE, LLM_MODEL_REVIEW/,
      ],
    ])('rejects %s with a ConfigError naming the variable', (_label, raw, message) => {
      const error = configErrorFor(raw);
      expect(error.name).toBe('ConfigError');
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(message);
      expect(error.message).toMatch(/^Invalid configuration:\n {2}- /);
      expect(error.message).toMatch(message);
      expect(() => AppConfig.fromEnvironment(raw)).toThrow(ConfigError);
    });

    it('quotes the bad value it got', () => {
      expect(configErrorFor({ LLM_PROVIDER: 'foo' }).message).toContain('(got "foo")');
    });

    it('quotes a malformed DATABASE_URL or REDIS_URL without its password', () => {
      const error = configErrorFor({
        DATABASE_URL: 'mysql://fleet:pg-s3cret@127.0.0.1/db',
        REDIS_URL: 'redis:/:rd-s3cret@127.0.0.1:6379',
      });
      expect(error.problems).toHaveLength(2);
      expect(error.message).toContain('(got "mysql://fleet:***@127.0.0.1/db")');
      expect(error.message).toContain('(got "redis:***@127.0.0.1:6379")');
      expect(error.message).not.toMatch(/s3cret/);
    });

    it('reports several bad variables in ONE error that lists all of them, one per line', () => {
      const error = configErrorFor({
        PORT: '99999',
        DATABASE_URL: 'mysql://x',
        LLM_PROVIDER: 'foo',
        WORKER_CONCURRENCY: '0',
      });
      expect(error.problems).toHaveLength(4);
      const lines = error.message.split('\n');
      expect(lines[0]).toBe('Invalid configuration:');
      for (const name of ['PORT', 'DATABASE_URL', 'LLM_PROVIDER', 'WORKER_CONCURRENCY']) {
        expect(lines.filter((line) => line.startsWith(`  - ${name} `))).toHaveLength(1);
      }
    });

    it('lists the cross-variable rules together with per-variable ones', () => {
      const error = configErrorFor({
        PORT: 'x',
        REDIS_URL: SERVICES.REDIS_URL,
        LLM_PROVIDER: 'openai',
      });
      expect(error.problems).toEqual([
        expect.stringMatching(/^PORT /),
        expect.stringMatching(/^REDIS_URL is set but DATABASE_URL is not/),
        expect.stringMatching(/^LLM_PROVIDER is openai but LLM_BASE_URL/),
      ]);
    });
  });
});
