/** Payloads of the skills methods, shared by REST (ValidationPipe) and WebSocket (validateDto). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  Min,
  MaxLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import {
  DRAFT_STATUSES,
  type DraftStatus,
  SKILL_STATUSES,
  type SkillStatus,
} from '#src/client/protocol';
import { PageQueryDto } from '#src/common/page-query.dto';
import { MAX_FILE_PATH_LENGTH } from '../skill-files';

/** Fails when `other` is given too: the two fields exclude each other. */
function NotWith(other: string): PropertyDecorator {
  return ValidateBy({
    name: 'notWith',
    validator: {
      validate: (_value, args) => (args?.object as Record<string, unknown>)[other] === undefined,
      defaultMessage: () => `$property cannot be given together with ${other}`,
    },
  });
}

/** `skills.list`: one page of at most `limit` skills (default 100) after `cursor`. */
export class ListSkillsDto extends PageQueryDto(100) {
  @ApiPropertyOptional({
    description: 'full-text search over name, description and body',
    maxLength: 1000,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  query?: string;

  @ApiPropertyOptional({ description: 'top-level taxonomy category', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  category?: string;

  @ApiPropertyOptional({ enum: SKILL_STATUSES })
  @IsOptional()
  @IsIn(SKILL_STATUSES)
  status?: SkillStatus;
}

export class SkillIdDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  skillId!: string;
}

/** `skills.history`: the versions after `cursor`, oldest first, at most `limit` (default 100). */
export class SkillHistoryDto extends PageQueryDto(100) {
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  skillId!: string;
}

/** `GET /skills/<id>/-/history`: the same paging, the id in the path. */
export class SkillHistoryQueryDto extends PageQueryDto(100) {}

export class SkillFileDto extends SkillIdDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_FILE_PATH_LENGTH)
  path!: string;
}

/** REST body of `POST /skills/:id/rollback`. */
export class RollbackBodyDto {
  @ApiProperty({ description: 'the version whose content becomes the new version', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version!: number;
}

export class RollbackSkillDto extends RollbackBodyDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  skillId!: string;
}

export class ListDraftsDto extends PageQueryDto(100) {
  @ApiPropertyOptional({ enum: DRAFT_STATUSES })
  @IsOptional()
  @IsIn(DRAFT_STATUSES)
  status?: DraftStatus;
}

export class DraftJobIdDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  jobId!: string;
}

/** Exactly one of `skillId` and `content`. */
export class ValidateSkillDto {
  @ApiPropertyOptional({ description: 'validate a stored skill (give this or content)' })
  @ValidateIf((o: ValidateSkillDto) => o.content === undefined || o.skillId !== undefined)
  @IsString({ message: '$property must be a string (give skillId or content)' })
  skillId?: string;

  @ApiPropertyOptional({ description: 'validate this SKILL.md text (give this or skillId)' })
  @ValidateIf((o: ValidateSkillDto) => o.skillId === undefined || o.content !== undefined)
  @IsString({ message: '$property must be a string (give skillId or content)' })
  @NotWith('skillId')
  content?: string;
}

/** REST body of `POST /drafts/:jobId/promote`. */
export class PromoteOptionsDto {
  @ApiPropertyOptional({
    description: 'replace an existing skill at the same path',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  overwrite?: boolean;

  @ApiPropertyOptional({
    description:
      'promote an offline scaffold that no person has edited (refused with OFFLINE_SCAFFOLD otherwise)',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  allowScaffold?: boolean;
}

export class PromoteDraftDto extends PromoteOptionsDto {
  @IsString()
  @IsNotEmpty()
  jobId!: string;
}

export class ImportSkillsDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  path!: string;

  /** the category of skills in the flat layout (`<path>/<name>/SKILL.md`) */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  category?: string;

  /** make a new version of skills that exist (their owner or an admin only) */
  @IsOptional()
  @IsBoolean()
  overwrite?: boolean;
}
