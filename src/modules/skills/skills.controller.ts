import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { ListSkillsDto, PromoteOptionsDto, ValidateSkillDto } from './dto/skills.dto';
import { SkillsService } from './skills.service';

/** REST surface of protocol.md §2; bodies and results are those of the WebSocket methods. */
@ApiTags('skills')
@ApiBearerAuth()
@Controller()
export class SkillsController {
  constructor(private readonly skills: SkillsService) {}

  @Get('skills')
  async list(@Query() filter: ListSkillsDto, @CurrentPrincipal() principal: Principal) {
    return { skills: await this.skills.list(filter, principal) };
  }

  @Post('skills/validate')
  @HttpCode(200)
  async validate(@Body() body: ValidateSkillDto, @CurrentPrincipal() principal: Principal) {
    return { report: await this.skills.validate(body, principal) };
  }

  /** The id is a taxonomy path; the named wildcard hands over its segments. */
  @Get('skills/*id')
  get(@Param('id') segments: string[], @CurrentPrincipal() principal: Principal) {
    return this.skills.get(segments.join('/'), principal);
  }

  @Get('taxonomy/xml')
  async xml() {
    return { xml: await this.skills.xml() };
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
