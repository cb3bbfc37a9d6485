import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PROMPT_STATUSES, type PromptStatus } from '#src/client/protocol';
import { PageQueryDto } from '#src/common/page-query.dto';
import { SKILL_LEVELS } from '#src/modules/skill-create/offline-input';

const FEEDBACK_MAX = 10000;
const CONTENT_MAX = 512 * 1024;

/** clarify: `{answers: {<questionId>: …}}` or `{action: "cancel"}`; answers are checked against the questions too. */
export class ClarifyAnswerDto {
  @ApiPropertyOptional({ enum: ['cancel'] })
  @IsOptional()
  @IsIn(['cancel'], { message: 'must be "cancel" when present' })
  action?: 'cancel';

  @ApiPropertyOptional({
    description: 'by question id: a string, a list of option ids, or a boolean',
    type: 'object',
    additionalProperties: true,
  })
  @ValidateIf((answer: ClarifyAnswerDto) => answer.action === undefined)
  @IsObject({ message: 'must be an object of answers by question id' })
  answers?: Record<string, string | string[] | boolean>;
}

/** structure_fix: `{name, description}`, `{acceptSuggestions: true}` or `{action: "cancel"}`. */
export class StructureFixAnswerDto {
  @ApiPropertyOptional({ enum: ['cancel'] })
  @IsOptional()
  @IsIn(['cancel'], { message: 'must be "cancel" when present' })
  action?: 'cancel';

  @ApiPropertyOptional({ enum: [true] })
  @IsOptional()
  @Equals(true, { message: 'must be true when present' })
  acceptSuggestions?: true;

  @ApiPropertyOptional({ minLength: 1, maxLength: 64 })
  @ValidateIf((a: StructureFixAnswerDto) => a.action === undefined && !a.acceptSuggestions)
  @IsString()
  @Length(1, 64)
  name?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 1024 })
  @ValidateIf((a: StructureFixAnswerDto) => a.action === undefined && !a.acceptSuggestions)
  @IsString()
  @Length(1, 1024)
  description?: string;
}

/** confirm `edits`: typed changes to the requirements, applied in every mode. */
export class ConfirmEditsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 64 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
    message: 'must be a skill name: lower-case letters, digits and single hyphens',
  })
  @Length(1, 64)
  name?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 1024 })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  description?: string;

  @ApiPropertyOptional({ enum: SKILL_LEVELS })
  @IsOptional()
  @IsIn(SKILL_LEVELS)
  level?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 10 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  topics?: string[];

  @ApiPropertyOptional({ maxLength: 64 })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, {
    message: 'must be a lower-case category name (a-z, 0-9, -)',
  })
  category?: string;
}

/**
 * confirm: `{action: proceed|revise|cancel, feedback?, edits?}`; a revise needs feedback (a model
 * applies it) or edits (applied in every mode, then shown again).
 */
export class ConfirmAnswerDto {
  @ApiProperty({ enum: ['proceed', 'revise', 'cancel'] })
  @IsIn(['proceed', 'revise', 'cancel'])
  action!: 'proceed' | 'revise' | 'cancel';

  @ApiPropertyOptional({ description: 'to revise (or edits)', maxLength: FEEDBACK_MAX })
  @ValidateIf(
    (a: ConfirmAnswerDto) =>
      (a.action === 'revise' && a.edits === undefined) || a.feedback !== undefined,
  )
  @IsString()
  @Length(1, FEEDBACK_MAX, { message: 'is required to revise without edits (1-10000 characters)' })
  feedback?: string;

  @ApiPropertyOptional({ type: () => ConfirmEditsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ConfirmEditsDto)
  edits?: ConfirmEditsDto;
}

/** preview: `{action, feedback?, content?}`; refine needs feedback unless content replaces the draft. */
export class PreviewAnswerDto {
  @ApiProperty({ enum: ['proceed', 'refine', 'cancel'] })
  @IsIn(['proceed', 'refine', 'cancel'])
  action!: 'proceed' | 'refine' | 'cancel';

  @ApiPropertyOptional({
    description: 'required to refine without content',
    maxLength: FEEDBACK_MAX,
  })
  @ValidateIf(
    (a: PreviewAnswerDto) =>
      (a.action === 'refine' && a.content === undefined) || a.feedback !== undefined,
  )
  @IsString()
  @Length(1, FEEDBACK_MAX, {
    message: 'is required to refine without content (1-10000 characters)',
  })
  feedback?: string;

  @ApiPropertyOptional({
    description: 'an edited SKILL.md replacing the draft',
    maxLength: CONTENT_MAX,
  })
  @IsOptional()
  @IsString()
  @Length(1, CONTENT_MAX)
  content?: string;
}

/** validate: `{action: proceed|refine|cancel, feedback?, content?}`. */
export class ValidateAnswerDto {
  @ApiProperty({ enum: ['proceed', 'refine', 'cancel'] })
  @IsIn(['proceed', 'refine', 'cancel'])
  action!: 'proceed' | 'refine' | 'cancel';

  @ApiPropertyOptional({ maxLength: FEEDBACK_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(FEEDBACK_MAX)
  feedback?: string;

  @ApiPropertyOptional({
    description: 'an edited SKILL.md replacing the draft (it is validated again)',
    maxLength: CONTENT_MAX,
  })
  @IsOptional()
  @IsString()
  @Length(1, CONTENT_MAX)
  content?: string;
}

export class AnswerBodyDto {
  @ApiProperty({
    // anyOf, not oneOf: the prompt's kind picks the schema, and `{action: "cancel"}` fits several.
    description: "the answer, shaped by the prompt's kind (protocol.md 1.6)",
    anyOf: [
      ClarifyAnswerDto,
      StructureFixAnswerDto,
      ConfirmAnswerDto,
      PreviewAnswerDto,
      ValidateAnswerDto,
    ].map((dto) => ({ $ref: getSchemaPath(dto) })),
  })
  @IsObject({ message: 'must be an object' })
  answer!: Record<string, unknown>;
}

export class AnswerPromptDto extends AnswerBodyDto {
  @IsString()
  promptId!: string;
}

export class ListPromptsDto extends PageQueryDto(100) {
  @ApiPropertyOptional({ enum: PROMPT_STATUSES })
  @IsOptional()
  @IsIn(PROMPT_STATUSES)
  status?: PromptStatus;

  @ApiPropertyOptional({ description: "only this job's prompts" })
  @IsOptional()
  @IsString()
  jobId?: string;
}

/** The clarify payload's questions (protocol.md 1.6), validated when a workflow asks. */
export class ClarifyOptionDto {
  @IsString()
  id!: string;

  @IsString()
  label!: string;

  @IsOptional()
  @IsString()
  description?: string;
}

export class ClarifyQuestionDto {
  @IsString()
  id!: string;

  @IsString()
  text!: string;

  @IsIn(['text', 'single', 'multi', 'boolean'])
  type!: 'text' | 'single' | 'multi' | 'boolean';

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ClarifyOptionDto)
  options?: ClarifyOptionDto[];

  @IsBoolean()
  required!: boolean;

  @IsBoolean()
  allowOther!: boolean;
}
