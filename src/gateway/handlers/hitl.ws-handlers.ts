import { Injectable, OnModuleInit } from '@nestjs/common';
import { validateDto } from '../../common/errors/validation';
import { assertCanWrite } from '../../modules/auth/auth.guard';
import { AnswerPromptDto, ListPromptsDto } from '../../modules/hitl/dto/answers.dto';
import { HitlService } from '../../modules/hitl/hitl.service';
import { WsMethods } from '../ws-methods';

/** prompts.* methods (protocol.md 1.3 and 1.6). */
@Injectable()
export class HitlWsHandlers implements OnModuleInit {
  constructor(
    private readonly methods: WsMethods,
    private readonly hitl: HitlService,
  ) {}

  onModuleInit(): void {
    this.methods.register('prompts.list', async (payload, principal) =>
      this.hitl.list(principal, await validateDto(ListPromptsDto, payload, 'payload')),
    );
    this.methods.register('prompts.answer', async (payload, principal) => {
      assertCanWrite(principal);
      const dto = await validateDto(AnswerPromptDto, payload, 'payload');
      return { prompt: await this.hitl.answer(principal, dto.promptId, dto.answer) };
    });
  }
}
