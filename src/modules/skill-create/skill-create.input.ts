import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
  SOURCE_NAME_MAX,
  type SourceLimits,
} from './skill-create.sources';
import { MAX_TRIGGER_QUERIES, TRIGGER_DEFAULTS } from './triggers/trigger-evaluation';

/** Which prompts a job asks (protocol.md 1.6). */
export class PromptSwitchesDto {
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() clarify?: boolean;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() structure_fix?: boolean;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() confirm?: boolean;
  @ApiPropertyOptional({ description: 'default false; true when no model is configured' })
  @IsOptional()
  @IsBoolean()
  preview?: boolean;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() validate?: boolean;
}

/** `jobs.create` options for `skill.create` (protocol.md 1.3). Unknown keys are refused. */
export class SkillCreateOptionsDto {
  @ApiPropertyOptional({ type: () => PromptSwitchesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PromptSwitchesDto)
  prompts?: PromptSwitchesDto;

  @ApiPropertyOptional({ description: 'answer every prompt with its default', default: false })
  @IsOptional()
  @IsBoolean()
  autoApprove?: boolean;

  @ApiPropertyOptional({
    description: 'quality rounds at most',
    minimum: 1,
    maximum: 10,
    default: 3,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  maxRounds?: number;

  @ApiPropertyOptional({
    description: 'how long a prompt stays open (default 86400)',
    minimum: 1,
    maximum: 31536000,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(31536000)
  promptTimeoutSeconds?: number;

  @ApiPropertyOptional({
    description: 'what an expired prompt does: cancel or fail the job, or take the default answer',
    enum: ['cancel', 'fail', 'default'],
  })
  @IsOptional()
  @IsIn(['cancel', 'fail', 'default'])
  timeoutAction?: 'cancel' | 'fail' | 'default';

  @ApiPropertyOptional({
    description: 'refine while the quality score is below this',
    minimum: 0,
    maximum: 1,
    default: 0.75,
  })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  qualityThreshold?: number;

  /** Trigger evaluation: queries of each kind (0 turns it off). */
  @ApiPropertyOptional({
    description: 'trigger evaluation: queries of each kind (0 turns it off)',
    minimum: 0,
    maximum: MAX_TRIGGER_QUERIES,
    default: TRIGGER_DEFAULTS.queries,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_TRIGGER_QUERIES)
  triggerQueries?: number;

  /** Trigger evaluation: precision and recall below this rewrite the description. */
  @ApiPropertyOptional({
    description: 'trigger evaluation: precision or recall below this rewrites the description',
    minimum: 0,
    maximum: 1,
    default: TRIGGER_DEFAULTS.threshold,
  })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  triggerThreshold?: number;

  @ApiPropertyOptional({ enum: SKILL_STYLES, default: 'comprehensive' })
  @IsOptional()
  @IsIn(SKILL_STYLES)
  style?: SkillStyle;

  @ApiPropertyOptional({
    description: 'where promote puts the skill (default general)',
    pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, {
    message: 'must be a lower-case category name (a-z, 0-9, -)',
  })
  category?: string;
}

/** The schema of a source for the OpenAPI document; `checkSources` checks it. */
export class SkillSourceDto implements SkillSource {
  @ApiProperty({
    description: 'a label and the base of a file name under references/; never opened as a path',
    minLength: 1,
    maxLength: SOURCE_NAME_MAX,
  })
  name!: string;

  @ApiProperty({
    description:
      `UTF-8 text without NUL bytes, at most SKILL_SOURCE_MAX_BYTES bytes ` +
      `(default ${DEFAULT_SOURCE_LIMITS.maxBytesEach})`,
  })
  content!: string;
}

export class SkillCreateInputDto {
  @ApiProperty({ description: 'what the skill is for', minLength: 1, maxLength: 10000 })
  @IsString()
  @Length(1, 10000)
  task!: string;

  @ApiPropertyOptional({ type: () => SkillCreateOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => SkillCreateOptionsDto)
  options?: SkillCreateOptionsDto;

  /** the person's material as text (checked in detail by `checkSources`) */
  @ApiPropertyOptional({
    type: () => [SkillSourceDto],
    description:
      "the person's own material as text, at most SKILL_SOURCES_MAX_COUNT sources " +
      `(default ${DEFAULT_SOURCE_LIMITS.maxCount}) and SKILL_SOURCES_MAX_BYTES bytes in all ` +
      `(default ${DEFAULT_SOURCE_LIMITS.maxBytesTotal})`,
  })
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
