import { Injectable } from '@nestjs/common';
import { validateDto } from '#src/common/errors/validation';
import { AnswerPromptDto, ListPromptsDto } from '#src/modules/hitl/dto/answers.dto';
import { HitlService } from '#src/modules/hitl/hitl.service';
import type { WsHandlerTable } from '../ws-methods';

/** prompts.* methods (protocol.md 1.3 and 1.6). */
@Injectable()
export class HitlWsHandlers {
  constructor(private readonly hitl: HitlService) {}

  readonly handlers = {
    'prompts.list': async (payload, principal) =>
      this.hitl.list(principal, await validateDto(ListPromptsDto, payload, 'payload')),
    'prompts.answer': async (payload, principal) => {
      const dto = await validateDto(AnswerPromptDto, payload, 'payload');
      return { prompt: await this.hitl.answer(principal, dto.promptId, dto.answer) };
    },
  } satisfies Partial<WsHandlerTable>;
}
