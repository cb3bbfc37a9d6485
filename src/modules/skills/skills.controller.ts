import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
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
import { SkillsService } from './skills.service';

/** REST surface of protocol.md §2; bodies and results are those of the WebSocket methods. */
@ApiTags('skills')
@ApiBearerAuth()
@Controller()
export class SkillsController {
  constructor(private readonly skills: SkillsService) {}

  @Get('skills')
  list(@Query() filter: ListSkillsDto, @CurrentPrincipal() principal: Principal) {
    return this.skills.list(filter, principal);
  }

  @Post('skills/validate')
  @HttpCode(200)
  async validate(@Body() body: ValidateSkillDto, @CurrentPrincipal() principal: Principal) {
    return { report: await this.skills.validate(body, principal) };
  }

  /** `skills.history`: the id is a taxonomy path, so the action comes after a `/-/` separator. */
  @Get('skills/*id/-/history')
  @ApiOperation({ summary: "A skill's versions, oldest first (skills.history)" })
  async history(@Param('id') segments: string[], @Query() page: SkillHistoryQueryDto) {
    return this.skills.history(segments.join('/'), page);
  }

  @Post('skills/*id/-/rollback')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A new version with the content of an old one (skills.rollback; owner or admin)',
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
  get(@Param('id') segments: string[], @CurrentPrincipal() principal: Principal) {
    return this.skills.get(segments.join('/'), principal);
  }

  @Delete('skills/*id')
  @ApiOperation({ summary: 'Delete a skill; its history stays (skills.delete; owner or admin)' })
  async delete(@Param('id') segments: string[], @CurrentPrincipal() principal: Principal) {
    await this.skills.delete(segments.join('/'), principal);
    return { deleted: true };
  }

  @Get('taxonomy/xml')
  async xml() {
    return { xml: await this.skills.xml() };
  }

  @Get('drafts')
  @ApiOperation({ summary: 'Drafts: your own, or all for an admin (drafts.list)' })
  async drafts(@Query() filter: ListDraftsDto, @CurrentPrincipal() principal: Principal) {
    return this.skills.drafts(filter, principal);
  }

  @Delete('drafts/:jobId')
  @ApiOperation({ summary: "Delete a job's draft folder and record (drafts.delete)" })
  async deleteDraft(@Param('jobId') jobId: string, @CurrentPrincipal() principal: Principal) {
    await this.skills.deleteDraft(jobId, principal);
    return { deleted: true };
  }

  @Post('drafts/:jobId/promote')
  @HttpCode(200)
  async promote(
    @Param('jobId') jobId: string,
    @Body() body: PromoteOptionsDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    return { skill: await this.skills.promote(jobId, body, principal) };
  }
}
