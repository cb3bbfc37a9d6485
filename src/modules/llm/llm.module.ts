import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '#src/config/app-config';
import type { AiSdkProviderOptions } from './ai-sdk.provider';
import { AnthropicProvider } from './anthropic.provider';
import { GeminiProvider } from './gemini.provider';
import { LlmProvider } from './llm-provider';
import { OfflineProvider, type OfflineRules } from './offline.provider';
import { OpenAiProvider } from './openai.provider';

/** Tuning that the environment doesn't carry (tests, benchmarks). */
export type LlmProviderTuning = Partial<Omit<AiSdkProviderOptions, 'apiKey' | 'model'>>;

/**
 * The provider that `config.llm` selects. The offline provider answers with `offlineRules`, which
 * the workflow that calls the port brings; `options` adds what the environment doesn't carry.
 */
export function createLlmProvider(
  llm: AppConfig['llm'],
  offlineRules: OfflineRules,
  options: LlmProviderTuning = {},
): LlmProvider {
  const settings = {
    ...options,
    apiKey: llm.apiKey,
    model: llm.model,
    // LLM_MODEL_<STEP> from the environment, then any given here.
    models: { ...llm.models, ...options.models },
  };
  switch (llm.provider) {
    case 'offline':
      return new OfflineProvider(offlineRules);
    case 'anthropic':
      return new AnthropicProvider({ ...settings, baseUrl: llm.baseUrl });
    case 'gemini':
      return new GeminiProvider({ ...settings, baseUrl: llm.baseUrl });
    case 'openai':
      if (!llm.baseUrl) throw new Error('LLM_PROVIDER is openai but LLM_BASE_URL is not set');
      return new OpenAiProvider({ ...settings, baseUrl: llm.baseUrl });
  }
}

/** Provides `LlmProvider` (offline, openai, anthropic or gemini, from AppConfig) to its importer. */
@Module({})
export class LlmModule {
  /** `offlineRules`: the importing workflow's rules, for when `config.llm` selects offline. */
  static forRoot(offlineRules: OfflineRules): DynamicModule {
    return {
      module: LlmModule,
      providers: [
        {
          provide: LlmProvider,
          useFactory: (config: AppConfig) => createLlmProvider(config.llm, offlineRules),
          inject: [AppConfig],
        },
      ],
      exports: [LlmProvider],
    };
  }
}
