/** Public API of the LLM module. */
export {
  LLM_ERROR_CODES,
  LlmBadOutputError,
  LlmProvider,
  type ChatMessage,
  type JsonSchemaSpec,
  type LlmRequest,
  type LlmResult,
  type LlmUsage,
} from './llm-provider';
export { classSchema } from './class-schema';
export { createLlmProvider, LlmModule } from './llm.module';
export { OfflineProvider } from './offline.provider';
export {
  formatInputBlock,
  offlineInput,
  type OfflineInput,
  type OfflinePlan,
  type OfflineRequirements,
  type SkillLevel,
  type SkillStyle,
} from './offline-rules';
export {
  LlmCallError,
  OPENAI_DEFAULTS,
  OpenAiProvider,
  type OpenAiProviderOptions,
} from './openai.provider';
