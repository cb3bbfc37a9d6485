import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { validateDto } from '../../common/errors/validation';
import { assertAdmin, assertCanWrite } from '../../modules/auth/auth.guard';
import {
  ImportSkillsDto,
  ListSkillsDto,
  PromoteDraftDto,
  SkillIdDto,
  ValidateSkillDto,
} from '../../modules/skills/dto/skills.dto';
import { SkillsService } from '../../modules/skills/skills.service';
import type { WsHandlerTable } from '../ws-methods';

/** Methods without parameters refuse unknown ones, as the DTO-validated methods do. */
function assertNoParams(payload: Record<string, unknown>): void {
  const extra = Object.keys(payload);
  if (extra.length > 0) {
    throw AppError.validation(
      extra.map((key) => ({ field: `payload.${key}`, message: 'should not exist' })),
    );
  }
}

/** The `skills.*` methods of protocol.md §1.3: validate the payload, call SkillsService, reply. */
@Injectable()
export class SkillsWsHandlers {
  constructor(private readonly skills: SkillsService) {}

  readonly handlers = {
    'skills.list': async (payload, principal) => {
      const filter = await validateDto(ListSkillsDto, payload, 'payload');
      return { skills: await this.skills.list(filter, principal) };
    },

    'skills.get': async (payload, principal) => {
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      return this.skills.get(skillId, principal);
    },

    'skills.validate': async (payload, principal) => {
      const input = await validateDto(ValidateSkillDto, payload, 'payload');
      return { report: await this.skills.validate(input, principal) };
    },

    'skills.promote': async (payload, principal) => {
      assertCanWrite(principal);
      const { jobId, overwrite } = await validateDto(PromoteDraftDto, payload, 'payload');
      return { skill: await this.skills.promote(jobId, { overwrite }, principal) };
    },

    'skills.xml': async (payload) => {
      assertNoParams(payload);
      return { xml: await this.skills.xml() };
    },

    'skills.import': async (payload, principal) => {
      assertAdmin(principal);
      assertCanWrite(principal);
      const { path } = await validateDto(ImportSkillsDto, payload, 'payload');
      return this.skills.import(path);
    },

    'skills.reindex': async (payload, principal) => {
      assertAdmin(principal);
      assertCanWrite(principal);
      assertNoParams(payload);
      return this.skills.reindex();
    },
  } satisfies Partial<WsHandlerTable>;
}
