/** Schemas of the skills and drafts routes' replies for the OpenAPI document (protocol.md 1.3, 1.5, 4). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ApiNextCursor } from '#src/common/http/api-route.decorator';
import {
  DRAFT_STATUSES,
  LIBRARY_ACTIONS,
  SKILL_STATUSES,
  type Draft,
  type DraftStatus,
  type LibraryAction,
  type SkillStatus,
  type SkillVersion,
  type ValidationIssue,
} from '#src/client/protocol';

export class ValidationIssueDto implements ValidationIssue {
  @ApiProperty({ example: 'NAME_CONSECUTIVE_HYPHENS' }) code!: string;
  @ApiPropertyOptional({ example: 'name' }) field?: string;
  @ApiProperty() message!: string;
}

export class SkillValidationDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ type: [ValidationIssueDto] }) errors!: ValidationIssueDto[];
  @ApiProperty({ type: [ValidationIssueDto] }) warnings!: ValidationIssueDto[];
}

export class SkillDto {
  @ApiProperty({ description: 'the taxonomy path', example: 'python/async-await' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty() category!: string;
  @ApiProperty() path!: string;
  @ApiProperty({ enum: SKILL_STATUSES }) status!: SkillStatus;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'the library version; null for a draft',
  })
  version!: number | null;
  @ApiProperty({ example: '1.0.0', description: 'what the frontmatter declares' })
  declaredVersion!: string;
  @ApiProperty({ type: String, nullable: true }) ownerId!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: SkillValidationDto }) validation!: SkillValidationDto;
}

export class SkillReplyDto {
  @ApiProperty({ type: SkillDto }) skill!: SkillDto;
}

export class SkillWithContentDto extends SkillReplyDto {
  @ApiProperty({ description: 'the SKILL.md text' }) content!: string;
}

export class SkillListDto {
  @ApiProperty({ type: [SkillDto], description: 'by relevance with a query, else by id' })
  skills!: SkillDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}

export class SkillSummaryDto {
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
}

/** protocol.md §4.2 */
export class ValidationReportDto extends SkillValidationDto {
  @ApiProperty({ description: 'the folder checked, or <content>' }) path!: string;
  @ApiProperty({ type: SkillSummaryDto, nullable: true }) skill!: SkillSummaryDto | null;
}

export class ValidationReplyDto {
  @ApiProperty({ type: ValidationReportDto }) report!: ValidationReportDto;
}

export class VersionValidationDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ description: 'how many' }) errors!: number;
  @ApiProperty({ description: 'how many' }) warnings!: number;
}

export class SkillVersionDto implements SkillVersion {
  @ApiProperty({ minimum: 1 }) version!: number;
  @ApiProperty({ description: 'the user who made it, or system' }) by!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ description: 'SHA-256 of its SKILL.md' }) checksum!: string;
  @ApiProperty({ enum: LIBRARY_ACTIONS }) action!: LibraryAction;
  @ApiPropertyOptional({ format: 'uuid' }) jobId?: string;
  @ApiPropertyOptional({ description: 'a rollback: the version it restored' })
  restoredFrom?: number;
  @ApiProperty({ type: VersionValidationDto }) validation!: VersionValidationDto;
}

export class SkillHistoryReplyDto {
  @ApiProperty({ type: [SkillVersionDto], description: 'oldest first' })
  versions!: SkillVersionDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}

export class DraftPromotionDto {
  @ApiProperty() skillId!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class DraftDto implements Draft {
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiProperty({ example: '_drafts/<jobId>/<name>', description: 'for GET /skills/{id}' })
  skillId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() category!: string;
  @ApiProperty({ type: String, nullable: true }) ownerId!: string | null;
  @ApiProperty({ enum: DRAFT_STATUSES }) status!: DraftStatus;
  @ApiProperty({ minimum: 1, description: 'one more each time a rewound run wrote it again' })
  version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: DraftPromotionDto, nullable: true }) promoted!: DraftPromotionDto | null;
}

export class DraftListDto {
  @ApiProperty({ type: [DraftDto], description: 'newest first' }) drafts!: DraftDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}

export class DeletedDto {
  @ApiProperty({ enum: [true] }) deleted!: true;
}

export class TaxonomyXmlDto {
  @ApiProperty({ description: 'the <available_skills> XML (protocol.md 4.3)' }) xml!: string;
}
