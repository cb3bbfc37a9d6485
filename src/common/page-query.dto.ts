import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** The largest `limit` any list accepts. */
export const MAX_PAGE_LIMIT = 200;

/** Longer than any cursor encodePageCursor (list-page.ts) writes. */
const MAX_CURSOR_LENGTH = 300;

export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/**
 * The paging half of a list's query: `limit` (1 to MAX_PAGE_LIMIT, `defaultLimit` when absent) and the
 * previous page's `cursor`. A list's DTO extends it, e.g. `class ListJobsDto extends PageQueryDto(50)`,
 * and its service reads the default back from `DEFAULT_LIMIT`.
 */
export function PageQueryDto(defaultLimit: number) {
  class PageQueryDtoBase implements PageQuery {
    static readonly DEFAULT_LIMIT = defaultLimit;

    @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: defaultLimit })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(MAX_PAGE_LIMIT)
    limit?: number;

    @ApiPropertyOptional({
      description: "the previous page's nextCursor",
      maxLength: MAX_CURSOR_LENGTH,
    })
    @IsOptional()
    @IsString()
    @MaxLength(MAX_CURSOR_LENGTH)
    cursor?: string;
  }
  return PageQueryDtoBase;
}
