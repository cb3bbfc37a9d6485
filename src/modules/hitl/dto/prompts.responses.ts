/** Schemas of the prompts routes' replies for the OpenAPI document; the shapes are protocol.md 1.5 and 1.6. */
import { ApiProperty } from '@nestjs/swagger';
import { ApiNextCursor } from '#src/common/http/api-route.decorator';
import {
  PROMPT_STATUSES,
  type Prompt,
  type PromptStatus,
  type TimeoutAction,
} from '#src/client/protocol';

export class PromptDto implements Prompt {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) jobId!: string;
  @ApiProperty({ enum: ['clarify', 'structure_fix', 'confirm', 'preview', 'validate'] })
  kind!: string;
  @ApiProperty({ enum: PROMPT_STATUSES }) status!: PromptStatus;
  @ApiProperty() title!: string;
  @ApiProperty({ type: String, nullable: true }) body!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "what the person is asked, by kind (protocol.md 1.6's table)",
  })
  payload!: Record<string, unknown>;
  @ApiProperty({ type: [String] }) actions!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ enum: ['cancel', 'fail', 'default'] }) timeoutAction!: TimeoutAction;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) answeredAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) answeredBy!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  answer!: Record<string, unknown> | null;
}

export class PromptReplyDto {
  @ApiProperty({ type: PromptDto }) prompt!: PromptDto;
}

export class OpenPromptReplyDto {
  @ApiProperty({ type: PromptDto, nullable: true, description: 'null when none is open' })
  prompt!: PromptDto | null;
}

export class PromptListDto {
  @ApiProperty({ type: [PromptDto], description: 'oldest first' }) prompts!: PromptDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}
