import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import {
  AnswerBodyDto,
  ClarifyAnswerDto,
  ConfirmAnswerDto,
  ListPromptsDto,
  PreviewAnswerDto,
  StructureFixAnswerDto,
  ValidateAnswerDto,
} from './dto/answers.dto';
import { HitlService } from './hitl.service';

/** REST for prompts (protocol.md §2), plus the original system's pair under /hitl for its clients. */
@ApiTags('prompts')
@ApiBearerAuth()
@ApiExtraModels(
  ClarifyAnswerDto,
  StructureFixAnswerDto,
  ConfirmAnswerDto,
  PreviewAnswerDto,
  ValidateAnswerDto,
)
@Controller()
export class HitlController {
  constructor(private readonly hitl: HitlService) {}

  @Get('prompts')
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListPromptsDto) {
    return this.hitl.list(principal, query);
  }

  @Post('prompts/:id/answer')
  @HttpCode(200)
  async answer(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: AnswerBodyDto,
  ) {
    return { prompt: await this.hitl.answer(principal, id, body.answer) };
  }

  /** Compatibility: the job's open prompt, or `{prompt: null}`. */
  @Get('hitl/:jobId/prompt')
  async openPrompt(@CurrentPrincipal() principal: Principal, @Param('jobId') jobId: string) {
    return { prompt: await this.hitl.openPromptOf(principal, jobId) };
  }

  /** Compatibility: answers the job's open prompt with the raw body as the answer. */
  @Post('hitl/:jobId/response')
  @HttpCode(200)
  async respond(
    @CurrentPrincipal() principal: Principal,
    @Param('jobId') jobId: string,
    @Body() body: AnswerBodyDto,
  ) {
    return { prompt: await this.hitl.answerOpenPrompt(principal, jobId, body.answer) };
  }
}
