import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '#src/common/http/api-route.decorator';
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
import { OpenPromptReplyDto, PromptListDto, PromptReplyDto } from './dto/prompts.responses';
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
  @ApiRoute({
    summary: 'Prompts of your jobs, all for an admin, oldest first (prompts.list)',
    ok: PromptListDto,
    errors: [400],
  })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListPromptsDto) {
    return this.hitl.list(principal, query);
  }

  @Post('prompts/:id/answer')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Answer a prompt (prompts.answer); the first valid answer wins, a later one gets 409',
    ok: PromptReplyDto,
    hasBody: true,
    errors: [403, 404, 409],
  })
  async answer(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: AnswerBodyDto,
  ) {
    return { prompt: await this.hitl.answer(principal, id, body.answer) };
  }

  /** Compatibility: the job's open prompt, or `{prompt: null}`. */
  @Get('hitl/:jobId/prompt')
  @ApiRoute({
    summary: "The job's open prompt, or null (the original system's route)",
    ok: OpenPromptReplyDto,
    errors: [404],
  })
  async openPrompt(@CurrentPrincipal() principal: Principal, @Param('jobId') jobId: string) {
    return { prompt: await this.hitl.openPromptOf(principal, jobId) };
  }

  /** Compatibility: answers the job's open prompt with the raw body as the answer. */
  @Post('hitl/:jobId/response')
  @HttpCode(200)
  @ApiRoute({
    summary: "Answer the job's open prompt (the original system's route)",
    ok: PromptReplyDto,
    hasBody: true,
    errors: [403, 404, 409],
  })
  async respond(
    @CurrentPrincipal() principal: Principal,
    @Param('jobId') jobId: string,
    @Body() body: AnswerBodyDto,
  ) {
    return { prompt: await this.hitl.answerOpenPrompt(principal, jobId, body.answer) };
  }
}
