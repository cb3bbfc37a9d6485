/** Public API of the SKILL.md parser / validator library. */
export {
  SKILL_ERROR_CODES,
  SKILL_WARNING_CODES,
  type SkillErrorCode,
  type SkillWarningCode,
  type SkillSummary,
  type ValidateContentOptions,
  type ValidateDirOptions,
  type ValidationError,
  type ValidationIssue,
  type ValidationReport,
  type ValidationWarning,
} from './validation.types';
export {
  EXTENSION_FIELDS,
  MAX_BODY_LINES,
  MAX_COMPATIBILITY_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  RESOURCE_LIMITS,
  SPEC_FIELDS,
} from './limits';
export {
  decodeSkillMdBytes,
  isPlainRecord,
  parseSkillMd,
  type DecodeResult,
  type ParsedSkillMd,
  type ParseSkillMdResult,
} from './skill-md.parser';
export {
  checkSkillName,
  inspectSkillDir,
  normalizeSkillName,
  validateSkillContent,
  validateSkillDir,
  type SkillDirInspection,
} from './skill.validator';
export {
  errnoCode,
  extractRelativeLinks,
  isInside,
  locateSkillMd,
  readSkillMd,
  SKILL_MD_NAMES,
} from './skill-folder';
export {
  assessQuality,
  buildQualityFeedback,
  CATEGORY_TEMPLATES,
  checkSkillQuality,
  computeQualityScore,
  computeTemplateCompliance,
  computeVerbosity,
  countWords,
  QUALITY_THRESHOLDS,
  QUALITY_WEIGHTS,
  roundHalfEven,
  scoreClarity,
  scoreCompleteness,
  scoreConciseness,
  scoreExamples,
  scoreStructure,
  splitSentences,
  TEMPLATE_ELEMENT_KEYWORDS,
  type QualityAssessment,
  type QualityCheckInput,
  type QualityScore,
  type SizeAssessment,
  type TemplateCategory,
  type TemplateCompliance,
} from './quality';
export {
  collectSkillsForXml,
  escapeXml,
  renderAvailableSkillsXml,
  type AvailableSkill,
} from './available-skills.xml';
