import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { HostedAiSdkProvider, type HostedProviderOptions } from './ai-sdk.provider';

/** `baseUrl` is the API root; default `https://generativelanguage.googleapis.com/v1beta`. */
export type GeminiProviderOptions = HostedProviderOptions;

export const GEMINI_DEFAULTS = {
  baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  model: 'gemini-2.5-flash',
} as const;

/**
 * Google's Gemini API (`generateContent`, `streamGenerateContent?alt=sse`) through
 * `@ai-sdk/google` (`x-goog-api-key`). Schema calls use its native structured output
 * (`responseMimeType: application/json` with `responseSchema`).
 */
export class GeminiProvider extends HostedAiSdkProvider {
  readonly name = 'gemini';

  constructor(options: GeminiProviderOptions) {
    super(options, GEMINI_DEFAULTS, createGoogleGenerativeAI);
  }
}
