import { createAnthropic } from '@ai-sdk/anthropic';
import {
  HostedAiSdkProvider,
  type HostedProviderOptions,
  type StructuredMode,
} from './ai-sdk.provider';

/** `baseUrl` is the API root; default `https://api.anthropic.com/v1` (`/messages` is appended). */
export type AnthropicProviderOptions = HostedProviderOptions;

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
export class AnthropicProvider extends HostedAiSdkProvider {
  readonly name = 'anthropic';
  protected override readonly maxOutputTokens = ANTHROPIC_DEFAULTS.maxOutputTokens;

  constructor(options: AnthropicProviderOptions) {
    super(options, ANTHROPIC_DEFAULTS, createAnthropic);
  }

  protected override providerOptions(
    mode: StructuredMode | undefined,
  ): Record<string, Record<string, string>> | undefined {
    return mode === 'native' ? { anthropic: { structuredOutputMode: 'outputFormat' } } : undefined;
  }
}
