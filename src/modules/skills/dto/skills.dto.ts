/** Payloads of the skills methods, shared by REST (ValidationPipe) and WebSocket (validateDto). */
import {
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { SKILL_STATUSES, SkillStatus } from '../skill.types';

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

export class ListSkillsDto {
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  query?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  category?: string;

  @IsOptional()
  @IsIn(SKILL_STATUSES)
  status?: SkillStatus;
}

export class SkillIdDto {
  @IsString()
  @IsNotEmpty()
  skillId!: string;
}

/** Exactly one of `skillId` and `content`. */
export class ValidateSkillDto {
  @ValidateIf((o: ValidateSkillDto) => o.content === undefined || o.skillId !== undefined)
  @IsString({ message: '$property must be a string (give skillId or content)' })
  skillId?: string;

  @ValidateIf((o: ValidateSkillDto) => o.skillId === undefined || o.content !== undefined)
  @IsString({ message: '$property must be a string (give skillId or content)' })
  @NotWith('skillId')
  content?: string;
}

/** REST body of `POST /drafts/:jobId/promote`. */
export class PromoteOptionsDto {
  @IsOptional()
  @IsBoolean()
  overwrite?: boolean;
}

export class PromoteDraftDto extends PromoteOptionsDto {
  @IsString()
  @IsNotEmpty()
  jobId!: string;
}

export class ImportSkillsDto {
  @IsString()
  @IsNotEmpty()
  path!: string;
}
