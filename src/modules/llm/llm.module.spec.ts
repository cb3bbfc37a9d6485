import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfig } from '#src/config/app-config';
import { LlmProvider } from './llm-provider';
import { createLlmProvider, LlmModule } from './llm.module';
import { OfflineProvider } from './offline.provider';
import { OpenAiProvider } from './openai.provider';
import { AnthropicProvider } from './anthropic.provider';
import { GeminiProvider } from './gemini.provider';

async function providerFor(env: Record<string, string>): Promise<LlmProvider> {
  const config = AppConfig.fromEnvironment({ DATA_DIR: '/tmp/skill-fleet-llm-spec', ...env });
  @Global()
  @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
  class ConfigStub {}
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigStub, LlmModule.forRoot({})],
  }).compile();
  return moduleRef.get(LlmProvider);
}

describe('LlmModule', () => {
  it('provides the offline provider without LLM_BASE_URL', async () => {
    const provider = await providerFor({});
    expect(provider).toBeInstanceOf(OfflineProvider);
    expect(provider.name).toBe('offline');
  });

  it('provides the openai provider with LLM_BASE_URL, key and model', async () => {
    const provider = await providerFor({
      LLM_BASE_URL: 'http://127.0.0.1:1234/v1/',
      LLM_API_KEY: 'sk-x',
      LLM_MODEL: 'local-model',
    });
    expect(provider).toBeInstanceOf(OpenAiProvider);
    const openai = provider as OpenAiProvider;
    expect(openai.baseUrl).toBe('http://127.0.0.1:1234/v1');
    expect(openai.modelFor('generate')).toBe('local-model');
  });

  it('gives each step the model of its LLM_MODEL_<STEP>, the others LLM_MODEL', async () => {
    const provider = (await providerFor({
      LLM_BASE_URL: 'http://127.0.0.1:1234/v1',
      LLM_MODEL: 'small',
      LLM_MODEL_GENERATE: 'big',
      LLM_MODEL_REVIEW: 'critic',
    })) as OpenAiProvider;
    expect(provider.modelFor('generate#2')).toBe('big');
    expect(provider.modelFor('review#1')).toBe('critic');
    expect(provider.modelFor('requirements#1')).toBe('small');
    expect(provider.modelFor('plan')).toBe('small');
  });

  it('provides the anthropic provider, on its default API root unless LLM_BASE_URL is set', async () => {
    const provider = await providerFor({ LLM_PROVIDER: 'anthropic', LLM_API_KEY: 'k' });
    expect(provider).toBeInstanceOf(AnthropicProvider);
    expect((provider as AnthropicProvider).baseUrl).toBe('https://api.anthropic.com/v1');
    expect((provider as AnthropicProvider).modelFor('plan')).toBe('claude-haiku-4-5');
    const proxied = await providerFor({
      LLM_PROVIDER: 'anthropic',
      LLM_API_KEY: 'k',
      LLM_BASE_URL: 'http://127.0.0.1:9/v1/',
      LLM_MODEL_GENERATE: 'claude-big',
    });
    expect((proxied as AnthropicProvider).baseUrl).toBe('http://127.0.0.1:9/v1');
    expect((proxied as AnthropicProvider).modelFor('generate')).toBe('claude-big');
  });

  it('provides the gemini provider', async () => {
    const provider = await providerFor({ LLM_PROVIDER: 'gemini', LLM_API_KEY: 'k' });
    expect(provider).toBeInstanceOf(GeminiProvider);
    expect(provider.name).toBe('gemini');
    expect((provider as GeminiProvider).baseUrl).toBe(
      'https://generativelanguage.googleapis.com/v1beta',
    );
  });

  it('keeps offline when LLM_PROVIDER says so, even with a base URL', async () => {
    const provider = await providerFor({
      LLM_PROVIDER: 'offline',
      LLM_BASE_URL: 'http://127.0.0.1:1234/v1',
    });
    expect(provider).toBeInstanceOf(OfflineProvider);
  });
});

describe('createLlmProvider', () => {
  it('passes per-step models and tuning to the openai provider', () => {
    const provider = createLlmProvider(
      { provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', models: { plan: 'from-env' } },
      {},
      { models: { generate: 'big' } },
    ) as OpenAiProvider;
    expect(provider.modelFor('generate')).toBe('big');
    expect(provider.modelFor('plan')).toBe('from-env');
    expect(provider.modelFor('requirements')).toBe('gpt-4o-mini');
  });

  it('refuses openai without a base URL', () => {
    expect(() => createLlmProvider({ provider: 'openai', models: {} }, {})).toThrow(/LLM_BASE_URL/);
  });
});
