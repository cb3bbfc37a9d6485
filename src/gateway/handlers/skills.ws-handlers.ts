import { Injectable } from '@nestjs/common';
import { AppError } from '#src/common/errors/app-error';
import { validateDto } from '#src/common/errors/validation';
import {
  DraftJobIdDto,
  ImportSkillsDto,
  ListDraftsDto,
  ListSkillsDto,
  PromoteDraftDto,
  RollbackSkillDto,
  SkillFileDto,
  SkillHistoryDto,
  SkillIdDto,
  ValidateSkillDto,
} from '#src/modules/skills/dto/skills.dto';
import { SkillsService } from '#src/modules/skills/skills.service';
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

/** The `skills.*` and `drafts.*` methods: validate the payload, call SkillsService, reply. */
@Injectable()
export class SkillsWsHandlers {
  constructor(private readonly skills: SkillsService) {}

  readonly handlers = {
    'skills.list': async (payload, principal) => {
      const filter = await validateDto(ListSkillsDto, payload, 'payload');
      return this.skills.list(filter, principal);
    },

    'skills.get': async (payload, principal) => {
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      return this.skills.get(skillId, principal);
    },

    'skills.files': async (payload, principal) => {
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      return this.skills.files(skillId, principal);
    },

    'skills.file': async (payload, principal) => {
      const { skillId, path } = await validateDto(SkillFileDto, payload, 'payload');
      return { file: await this.skills.readFile(skillId, path, principal) };
    },

    'skills.validate': async (payload, principal) => {
      const input = await validateDto(ValidateSkillDto, payload, 'payload');
      return { report: await this.skills.validate(input, principal) };
    },

    'skills.promote': async (payload, principal) => {
      const { jobId, overwrite, allowScaffold } = await validateDto(
        PromoteDraftDto,
        payload,
        'payload',
      );
      return { skill: await this.skills.promote(jobId, { overwrite, allowScaffold }, principal) };
    },

    'skills.history': async (payload) => {
      const { skillId, limit, cursor } = await validateDto(SkillHistoryDto, payload, 'payload');
      return this.skills.history(skillId, { limit, cursor });
    },

    'skills.rollback': async (payload, principal) => {
      const { skillId, version } = await validateDto(RollbackSkillDto, payload, 'payload');
      return { skill: await this.skills.rollback(skillId, version, principal) };
    },

    'skills.delete': async (payload, principal) => {
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      await this.skills.delete(skillId, principal);
      return { deleted: true };
    },

    'drafts.list': async (payload, principal) => {
      const filter = await validateDto(ListDraftsDto, payload, 'payload');
      return this.skills.drafts(filter, principal);
    },

    'drafts.delete': async (payload, principal) => {
      const { jobId } = await validateDto(DraftJobIdDto, payload, 'payload');
      await this.skills.deleteDraft(jobId, principal);
      return { deleted: true };
    },

    'skills.xml': async (payload) => {
      assertNoParams(payload);
      return { xml: await this.skills.xml() };
    },

    'skills.import': async (payload, principal) => {
      const { path, category, overwrite } = await validateDto(ImportSkillsDto, payload, 'payload');
      return this.skills.import(path, { category, overwrite }, principal);
    },

    'skills.reindex': async (payload, principal) => {
      assertNoParams(payload);
      return this.skills.reindex(principal);
    },
  } satisfies Partial<WsHandlerTable>;
}
