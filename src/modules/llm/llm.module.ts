import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { LlmProvider } from './llm-provider';
import { OfflineProvider } from './offline.provider';
import { OpenAiProvider, type OpenAiProviderOptions } from './openai.provider';

/** The provider that `config.llm` selects; `options` adds what the environment doesn't carry. */
export function createLlmProvider(
  llm: AppConfig['llm'],
  options: Partial<Omit<OpenAiProviderOptions, 'baseUrl' | 'apiKey' | 'model'>> = {},
): LlmProvider {
  if (llm.provider === 'offline') return new OfflineProvider();
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

/** Provides `LlmProvider` (offline or openai, from AppConfig) to whoever imports it. */
@Module({
  providers: [
    {
      provide: LlmProvider,
      useFactory: (config: AppConfig) => createLlmProvider(config.llm),
      inject: [AppConfig],
    },
  ],
  exports: [LlmProvider],
})
export class LlmModule {}
