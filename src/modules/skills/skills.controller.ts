import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '#src/common/http/api-route.decorator';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import {
  ListDraftsDto,
  ListSkillsDto,
  PromoteOptionsDto,
  RollbackBodyDto,
  SkillHistoryQueryDto,
  ValidateSkillDto,
} from './dto/skills.dto';
import {
  DeletedDto,
  DraftListDto,
  SkillHistoryReplyDto,
  SkillListDto,
  SkillReplyDto,
  SkillWithContentDto,
  TaxonomyXmlDto,
  ValidationReplyDto,
} from './dto/skills.responses';
import { SkillsService } from './skills.service';

/** REST surface of protocol.md §2; bodies and results are those of the WebSocket methods. */
@ApiTags('skills')
@ApiBearerAuth()
@Controller()
export class SkillsController {
  constructor(private readonly skills: SkillsService) {}

  @Get('skills')
  @ApiRoute({
    summary: 'Search the library by text, category or status, a page at a time (skills.list)',
    ok: SkillListDto,
    errors: [400],
  })
  list(@Query() filter: ListSkillsDto, @CurrentPrincipal() principal: Principal) {
    return this.skills.list(filter, principal);
  }

  @Post('skills/validate')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Validate a stored skill or a SKILL.md text (skills.validate)',
    ok: ValidationReplyDto,
    hasBody: true,
    errors: [404],
  })
  async validate(@Body() body: ValidateSkillDto, @CurrentPrincipal() principal: Principal) {
    return { report: await this.skills.validate(body, principal) };
  }

  /** `skills.history`: the id is a taxonomy path, so the action comes after a `/-/` separator. */
  @Get('skills/*id/-/history')
  @ApiRoute({
    summary: "A skill's versions, oldest first (skills.history)",
    ok: SkillHistoryReplyDto,
    errors: [400, 404],
  })
  async history(@Param('id') segments: string[], @Query() page: SkillHistoryQueryDto) {
    return this.skills.history(segments.join('/'), page);
  }

  @Post('skills/*id/-/rollback')
  @HttpCode(200)
  @ApiRoute({
    summary: 'A new version with the content of an old one (skills.rollback; owner or admin)',
    ok: SkillReplyDto,
    hasBody: true,
    errors: [403, 404, 409],
  })
  async rollback(
    @Param('id') segments: string[],
    @Body() body: RollbackBodyDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    return { skill: await this.skills.rollback(segments.join('/'), body.version, principal) };
  }

  /** The id is a taxonomy path; the named wildcard hands over its segments. */
  @Get('skills/*id')
  @ApiRoute({
    summary: 'A skill or a draft with its SKILL.md text (skills.get)',
    ok: SkillWithContentDto,
    errors: [404],
  })
  get(@Param('id') segments: string[], @CurrentPrincipal() principal: Principal) {
    return this.skills.get(segments.join('/'), principal);
  }

  @Delete('skills/*id')
  @ApiRoute({
    summary: 'Delete a skill; its history stays (skills.delete; owner or admin)',
    ok: DeletedDto,
    errors: [403, 404],
  })
  async delete(@Param('id') segments: string[], @CurrentPrincipal() principal: Principal) {
    await this.skills.delete(segments.join('/'), principal);
    return { deleted: true };
  }

  @Get('taxonomy/xml')
  @ApiRoute({
    summary: 'The <available_skills> XML of the library (skills.xml)',
    ok: TaxonomyXmlDto,
  })
  async xml() {
    return { xml: await this.skills.xml() };
  }

  @Get('drafts')
  @ApiRoute({
    summary: 'Drafts: your own, or all for an admin, newest first (drafts.list)',
    ok: DraftListDto,
    errors: [400],
  })
  async drafts(@Query() filter: ListDraftsDto, @CurrentPrincipal() principal: Principal) {
    return this.skills.drafts(filter, principal);
  }

  @Delete('drafts/:jobId')
  @ApiRoute({
    summary: "Delete a job's draft folder and record (drafts.delete)",
    ok: DeletedDto,
    errors: [403, 404],
  })
  async deleteDraft(@Param('jobId') jobId: string, @CurrentPrincipal() principal: Principal) {
    await this.skills.deleteDraft(jobId, principal);
    return { deleted: true };
  }

  @Post('drafts/:jobId/promote')
  @HttpCode(200)
  @ApiRoute({
    summary: "Copy a job's valid draft into the library (skills.promote)",
    ok: SkillReplyDto,
    hasBody: true,
    errors: [403, 404, 409],
  })
  async promote(
    @Param('jobId') jobId: string,
    @Body() body: PromoteOptionsDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    return { skill: await this.skills.promote(jobId, body, principal) };
  }
}
