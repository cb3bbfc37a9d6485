import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { LlmProvider } from './llm-provider';
import { OfflineProvider, type OfflineRules } from './offline.provider';
import { OpenAiProvider, type OpenAiProviderOptions } from './openai.provider';

/**
 * The provider that `config.llm` selects. The offline provider answers with `offlineRules`, which
 * the workflow that calls the port brings; `options` adds what the environment doesn't carry.
 */
export function createLlmProvider(
  llm: AppConfig['llm'],
  offlineRules: OfflineRules,
  options: Partial<Omit<OpenAiProviderOptions, 'baseUrl' | 'apiKey' | 'model'>> = {},
): LlmProvider {
  if (llm.provider === 'offline') return new OfflineProvider(offlineRules);
  if (!llm.baseUrl) throw new Error('LLM_PROVIDER is openai but LLM_BASE_URL is not set');
  return new OpenAiProvider({
    ...options,
    baseUrl: llm.baseUrl,
    apiKey: llm.apiKey,
    model: llm.model,
    // LLM_MODEL_<STEP> from the environment, then any given here.
    models: { ...llm.models, ...options.models },
  });
}

/** Provides `LlmProvider` (offline or openai, from AppConfig) to the module that imports it. */
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
