import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { validateDto } from '../../common/errors/validation';
import { assertAdmin, assertCanWrite } from '../../modules/auth/auth.guard';
import {
  DraftJobIdDto,
  ImportSkillsDto,
  ListDraftsDto,
  ListSkillsDto,
  PromoteDraftDto,
  RollbackSkillDto,
  SkillFileDto,
  SkillIdDto,
  ValidateSkillDto,
} from '../../modules/skills/dto/skills.dto';
import { SkillsService } from '../../modules/skills/skills.service';
import { WsMethods } from '../ws-methods';

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
export class SkillsWsHandlers implements OnModuleInit {
  constructor(
    private readonly methods: WsMethods,
    private readonly skills: SkillsService,
  ) {}

  onModuleInit(): void {
    this.methods.register('skills.list', async (payload, principal) => {
      const filter = await validateDto(ListSkillsDto, payload, 'payload');
      return { skills: await this.skills.list(filter, principal) };
    });

    this.methods.register('skills.get', async (payload, principal) => {
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      return this.skills.get(skillId, principal);
    });

    this.methods.register('skills.files', async (payload, principal) => {
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      return this.skills.files(skillId, principal);
    });

    this.methods.register('skills.file', async (payload, principal) => {
      const { skillId, path } = await validateDto(SkillFileDto, payload, 'payload');
      return { file: await this.skills.readFile(skillId, path, principal) };
    });

    this.methods.register('skills.validate', async (payload, principal) => {
      const input = await validateDto(ValidateSkillDto, payload, 'payload');
      return { report: await this.skills.validate(input, principal) };
    });

    this.methods.register('skills.promote', async (payload, principal) => {
      assertCanWrite(principal);
      const { jobId, overwrite } = await validateDto(PromoteDraftDto, payload, 'payload');
      return { skill: await this.skills.promote(jobId, { overwrite }, principal) };
    });

    this.methods.register('skills.history', async (payload) => {
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      return { versions: await this.skills.history(skillId) };
    });

    this.methods.register('skills.rollback', async (payload, principal) => {
      assertCanWrite(principal);
      const { skillId, version } = await validateDto(RollbackSkillDto, payload, 'payload');
      return { skill: await this.skills.rollback(skillId, version, principal) };
    });

    this.methods.register('skills.delete', async (payload, principal) => {
      assertCanWrite(principal);
      const { skillId } = await validateDto(SkillIdDto, payload, 'payload');
      await this.skills.delete(skillId, principal);
      return { deleted: true };
    });

    this.methods.register('drafts.list', async (payload, principal) => {
      const filter = await validateDto(ListDraftsDto, payload, 'payload');
      return { drafts: await this.skills.drafts(filter, principal) };
    });

    this.methods.register('drafts.delete', async (payload, principal) => {
      assertCanWrite(principal);
      const { jobId } = await validateDto(DraftJobIdDto, payload, 'payload');
      await this.skills.deleteDraft(jobId, principal);
      return { deleted: true };
    });

    this.methods.register('skills.xml', async (payload) => {
      assertNoParams(payload);
      return { xml: await this.skills.xml() };
    });

    this.methods.register('skills.import', async (payload, principal) => {
      assertAdmin(principal);
      assertCanWrite(principal);
      const { path, category, overwrite } = await validateDto(ImportSkillsDto, payload, 'payload');
      return this.skills.import(path, { category, overwrite }, principal);
    });

    this.methods.register('skills.reindex', async (payload, principal) => {
      assertAdmin(principal);
      assertCanWrite(principal);
      assertNoParams(payload);
      return this.skills.reindex(principal);
    });
  }
}
