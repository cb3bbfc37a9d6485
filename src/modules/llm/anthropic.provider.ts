import { createAnthropic } from '@ai-sdk/anthropic';
import type { LanguageModel } from 'ai';
import {
  AiSdkProvider,
  sdkFetch,
  type AiSdkProviderOptions,
  type StructuredMode,
} from './ai-sdk.provider';

export interface AnthropicProviderOptions extends AiSdkProviderOptions {
  /** The API root; default `https://api.anthropic.com/v1` (`/messages` is appended). */
  baseUrl?: string;
}

export const ANTHROPIC_DEFAULTS = {
  baseUrl: 'https://api.anthropic.com/v1',
  model: 'claude-haiku-4-5',
  /** the Messages API requires `max_tokens`; a SKILL.md with its plan fits well within this */
  maxOutputTokens: 8192,
} as const;

/**
 * Anthropic's Messages API through `@ai-sdk/anthropic` (`x-api-key`). Schema calls use its native
 * structured output (`output_config.format` with the JSON Schema); the JSON check and one repair
 * call stay ours.
 */
export class AnthropicProvider extends AiSdkProvider {
  readonly name = 'anthropic';
  readonly baseUrl: string;
  private readonly provider: ReturnType<typeof createAnthropic>;
  protected override readonly maxOutputTokens = ANTHROPIC_DEFAULTS.maxOutputTokens;

  constructor(options: AnthropicProviderOptions) {
    super(options, ANTHROPIC_DEFAULTS.model);
    this.baseUrl = (options.baseUrl || ANTHROPIC_DEFAULTS.baseUrl).replace(/\/+$/, '');
    // apiKey is always passed (even empty), so the SDK never reads ANTHROPIC_API_KEY itself
    this.provider = createAnthropic({
      baseURL: this.baseUrl,
      apiKey: options.apiKey ?? '',
      fetch: sdkFetch,
    });
  }

  protected override languageModel(modelId: string): LanguageModel {
    return this.provider(modelId);
  }

  protected override providerOptions(
    mode: StructuredMode | undefined,
  ): Record<string, Record<string, string>> | undefined {
    return mode === 'native' ? { anthropic: { structuredOutputMode: 'outputFormat' } } : undefined;
  }
}
