import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
  validate,
} from 'class-validator';
import { AppError } from '#src/common/errors/app-error';
import { STRICT_VALIDATION, toFieldErrors } from '#src/common/errors/validation';
import { SKILL_STYLES, type SkillStyle } from './offline-input';
import {
  checkSources,
  DEFAULT_SOURCE_LIMITS,
  type SkillSource,
  type SourceLimits,
} from './skill-create.sources';
import { MAX_TRIGGER_QUERIES, TRIGGER_DEFAULTS } from './triggers/trigger-evaluation';

export class PromptSwitchesDto {
  @IsOptional() @IsBoolean() clarify?: boolean;
  @IsOptional() @IsBoolean() structure_fix?: boolean;
  @IsOptional() @IsBoolean() confirm?: boolean;
  @IsOptional() @IsBoolean() preview?: boolean;
  @IsOptional() @IsBoolean() validate?: boolean;
}

/** `jobs.create` options for `skill.create` (protocol.md 1.3). Unknown keys are refused. */
export class SkillCreateOptionsDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => PromptSwitchesDto)
  prompts?: PromptSwitchesDto;

  @IsOptional() @IsBoolean() autoApprove?: boolean;

  @IsOptional() @IsInt() @Min(1) @Max(10) maxRounds?: number;

  @IsOptional() @IsInt() @Min(1) @Max(31536000) promptTimeoutSeconds?: number;

  @IsOptional() @IsIn(['cancel', 'fail', 'default']) timeoutAction?: 'cancel' | 'fail' | 'default';

  @IsOptional() @IsNumber() @Min(0) @Max(1) qualityThreshold?: number;

  /** Trigger evaluation: queries of each kind (0 turns it off). */
  @IsOptional() @IsInt() @Min(0) @Max(MAX_TRIGGER_QUERIES) triggerQueries?: number;

  /** Trigger evaluation: precision and recall below this rewrite the description. */
  @IsOptional() @IsNumber() @Min(0) @Max(1) triggerThreshold?: number;

  @IsOptional()
  @IsIn(SKILL_STYLES)
  style?: SkillStyle;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, {
    message: 'must be a lower-case category name (a-z, 0-9, -)',
  })
  category?: string;
}

export class SkillCreateInputDto {
  @IsString()
  @Length(1, 10000)
  task!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => SkillCreateOptionsDto)
  options?: SkillCreateOptionsDto;

  /** the person's material as text (checked in detail by `checkSources`) */
  @IsOptional()
  @IsArray()
  sources?: unknown[];
}

/** The input with every default applied; what the workflow reads. */
export interface SkillCreateInput {
  task: string;
  /** the person's material, stored with the job (absent when none was sent) */
  sources?: SkillSource[];
  options: {
    prompts: Required<PromptSwitchesDto>;
    autoApprove: boolean;
    maxRounds: number;
    promptTimeoutSeconds?: number;
    timeoutAction?: 'cancel' | 'fail' | 'default';
    qualityThreshold: number;
    triggerQueries: number;
    triggerThreshold: number;
    style: SkillStyle;
    category?: string;
  };
}

/**
 * `offline`: no model is configured, so the draft is a scaffold a person must fill in; `preview`
 * is then on unless the client turned it off.
 */
export async function parseSkillCreateInput(
  raw: unknown,
  context: { offline?: boolean; sourceLimits?: SourceLimits } = {},
): Promise<SkillCreateInput> {
  const dto = plainToInstance(SkillCreateInputDto, raw);
  const errors = toFieldErrors(await validate(dto, STRICT_VALIDATION), 'payload.input');
  if (dto.sources !== undefined) {
    errors.push(...checkSources(dto.sources, context.sourceLimits ?? DEFAULT_SOURCE_LIMITS));
  }
  if (errors.length > 0) throw AppError.validation(errors);
  const options = dto.options ?? {};
  const sources = (dto.sources ?? []) as SkillSource[];
  return {
    task: dto.task.trim(),
    ...(sources.length > 0 && {
      sources: sources.map(({ name, content }) => ({ name: name.trim(), content })),
    }),
    options: {
      // Like the original: clarify and structure_fix on, the others off; offline, preview on too.
      prompts: {
        clarify: options.prompts?.clarify ?? true,
        structure_fix: options.prompts?.structure_fix ?? true,
        confirm: options.prompts?.confirm ?? false,
        preview: options.prompts?.preview ?? context.offline === true,
        validate: options.prompts?.validate ?? false,
      },
      autoApprove: options.autoApprove ?? false,
      maxRounds: options.maxRounds ?? 3,
      promptTimeoutSeconds: options.promptTimeoutSeconds,
      timeoutAction: options.timeoutAction,
      qualityThreshold: options.qualityThreshold ?? 0.75,
      triggerQueries: options.triggerQueries ?? TRIGGER_DEFAULTS.queries,
      triggerThreshold: options.triggerThreshold ?? TRIGGER_DEFAULTS.threshold,
      style: options.style ?? 'comprehensive',
      category: options.category,
    },
  };
}
