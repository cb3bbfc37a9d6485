import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '#src/config/app-config';
import { PROMPT_KINDS } from '../hitl/prompt-kinds';
import type { WorkflowDefinition } from '../jobs/workflow';
import { WORKFLOWS } from '../jobs/workflow.registry';
import { LlmProvider } from '../llm/llm-provider';
import { LlmModule } from '../llm/llm.module';
import { SkillsModule } from '../skills/skills.module';
import { SkillsService } from '../skills/skills.service';
import { SKILL_CREATE_OFFLINE_RULES } from './offline-rules';
import { skillCreateWorkflow } from './skill-create.workflow';
import { SKILL_CREATE_PROMPT_KINDS } from './skill-create.prompts';

/**
 * Skill creation: the `skill.create` workflow, built with the LLM port (its offline rules given to
 * the offline provider) and the skills service, and the kinds of prompt it asks. Global so the
 * engine's registry and HITL have them before any worker takes a job; `extra` workflows (tests
 * register theirs here) join the registry beside it.
 */
@Global()
@Module({})
export class SkillCreateModule {
  static forRoot(extra: WorkflowDefinition<never, unknown>[] = []): DynamicModule {
    return {
      module: SkillCreateModule,
      imports: [LlmModule.forRoot(SKILL_CREATE_OFFLINE_RULES), SkillsModule],
      providers: [
        {
          provide: WORKFLOWS,
          useFactory: (llm: LlmProvider, skills: SkillsService, config: AppConfig) => [
            skillCreateWorkflow(llm, skills, config.skillSources),
            ...extra,
          ],
          inject: [LlmProvider, SkillsService, AppConfig],
        },
        { provide: PROMPT_KINDS, useValue: SKILL_CREATE_PROMPT_KINDS },
      ],
      exports: [WORKFLOWS, PROMPT_KINDS],
    };
  }
}
