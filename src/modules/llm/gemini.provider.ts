import { createGoogleGenerativeAI } from '@ai-sdk/google';
import type { LanguageModel } from 'ai';
import { AiSdkProvider, sdkFetch, type AiSdkProviderOptions } from './ai-sdk.provider';

export interface GeminiProviderOptions extends AiSdkProviderOptions {
  /** The API root; default `https://generativelanguage.googleapis.com/v1beta`. */
  baseUrl?: string;
}

export const GEMINI_DEFAULTS = {
  baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  model: 'gemini-2.5-flash',
} as const;

/**
 * Google's Gemini API (`generateContent`, `streamGenerateContent?alt=sse`) through
 * `@ai-sdk/google` (`x-goog-api-key`). Schema calls use its native structured output
 * (`responseMimeType: application/json` with `responseSchema`).
 */
export class GeminiProvider extends AiSdkProvider {
  readonly name = 'gemini';
  readonly baseUrl: string;
  private readonly provider: ReturnType<typeof createGoogleGenerativeAI>;

  constructor(options: GeminiProviderOptions) {
    super(options, GEMINI_DEFAULTS.model);
    this.baseUrl = (options.baseUrl || GEMINI_DEFAULTS.baseUrl).replace(/\/+$/, '');
    // apiKey is always passed (even empty), so the SDK never reads GOOGLE_GENERATIVE_AI_API_KEY
    this.provider = createGoogleGenerativeAI({
      baseURL: this.baseUrl,
      apiKey: options.apiKey ?? '',
      fetch: sdkFetch,
    });
  }

  protected override languageModel(modelId: string): LanguageModel {
    return this.provider(modelId);
  }
}
