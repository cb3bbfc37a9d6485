import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError } from '#src/common/errors/app-error';
import { ErrorCode, type Skill } from '#src/client/protocol';
import { validateDto } from '#src/common/errors/validation';
import type { EventBus } from '#src/common/events/event-bus';
import { assertCanWrite } from '../auth/policy';
import type { Principal } from '../auth/principal';
import { AnswerPromptDto } from '../hitl/dto/answers.dto';
import type { HitlService } from '../hitl/hitl.service';
import { CreateJobDto } from '../jobs/dto/jobs.dto';
import type { JobsService } from '../jobs/jobs.service';
import { ListSkillsDto, SkillFileDto, SkillIdDto } from '../skills/dto/skills.dto';
import type { SkillsService } from '../skills/skills.service';
import {
  skillCreateInput,
  type SkillChangeNotice,
  type SkillCreateRequest,
  type SkillFleetBackend,
  type SkillListPage,
} from './skill-fleet-backend';

export interface McpServices {
  skills: SkillsService;
  jobs: JobsService;
  hitl: HitlService;
  bus: EventBus;
}

const logger = new Logger('McpServicesBackend');

/**
 * The backend of `/mcp` in the server process: the services the WebSocket handlers call, with the
 * same payload rules (their DTOs) and the same write check, for one authenticated principal.
 */
export class ServicesBackend implements SkillFleetBackend {
  readonly canWrite: boolean;

  constructor(
    private readonly services: McpServices,
    private readonly principal: Principal,
  ) {
    this.canWrite = !principal.readOnly;
  }

  listSkills(filter: SkillListPage) {
    return guarded(async () => {
      const dto = await validateDto(ListSkillsDto, dropEmpty(filter), 'arguments');
      return this.services.skills.list(dto, this.principal);
    });
  }

  getSkill(skillId: string) {
    return guarded(async () => {
      await validateDto(SkillIdDto, { skillId }, 'arguments');
      return this.services.skills.get(skillId, this.principal);
    });
  }

  listFiles(skillId: string) {
    return guarded(async () => {
      await validateDto(SkillIdDto, { skillId }, 'arguments');
      return this.services.skills.files(skillId, this.principal);
    });
  }

  readFile(skillId: string, path: string) {
    return guarded(async () => {
      await validateDto(SkillFileDto, { skillId, path }, 'arguments');
      return this.services.skills.readFile(skillId, path, this.principal);
    });
  }

  availableSkillsXml() {
    return guarded(() => this.services.skills.xml());
  }

  createSkill(input: SkillCreateRequest) {
    return guarded(async () => {
      assertCanWrite(this.principal);
      const dto = await validateDto(
        CreateJobDto,
        { workflow: 'skill.create', input: skillCreateInput(input) },
        'arguments',
      );
      return this.services.jobs.create(this.principal, dto);
    });
  }

  getJob(jobId: string) {
    return guarded(() => this.services.jobs.get(this.principal, jobId));
  }

  openPrompt(jobId: string) {
    return guarded(() => this.services.hitl.openPromptOf(this.principal, jobId));
  }

  answerPrompt(promptId: string, answer: Record<string, unknown>) {
    return guarded(async () => {
      assertCanWrite(this.principal);
      const dto = await validateDto(AnswerPromptDto, { promptId, answer }, 'arguments');
      return this.services.hitl.answer(this.principal, dto.promptId, dto.answer);
    });
  }

  /** From the event bus, so that a change written by any process of the deployment is heard. */
  watchSkills(listener: (change: SkillChangeNotice) => void): () => void {
    return this.services.bus.subscribe((message) => {
      if (message.kind !== 'feed' || message.topic !== 'skills') return;
      const payload = message.payload as { skill?: Skill; removed?: boolean };
      if (payload.skill) listener({ skill: payload.skill, removed: payload.removed === true });
    });
  }
}

/** The filter without empty text (an empty query lists every skill). */
function dropEmpty(filter: SkillListPage): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(filter).filter(
      (entry): entry is [string, string | number] =>
        typeof entry[1] === 'number' || (typeof entry[1] === 'string' && !!entry[1].trim()),
    ),
  );
}

/**
 * Refusals (AppError) pass as they are; anything else is logged with an errorId and reported as
 * INTERNAL without its message, as the WebSocket and REST surfaces do.
 */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) throw error;
    const errorId = randomUUID();
    logger.error(`errorId=${errorId} ${(error as Error)?.stack ?? String(error)}`);
    throw new AppError(ErrorCode.INTERNAL, `Internal error (errorId ${errorId})`);
  }
}
