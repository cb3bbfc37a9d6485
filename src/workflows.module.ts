import { DynamicModule, Global, Module } from '@nestjs/common';
import type { WorkflowDefinition } from './modules/jobs/workflow';
import { WORKFLOWS } from './modules/jobs/workflow.registry';
import { LlmProvider } from './modules/llm/llm-provider';
import { LlmModule } from './modules/llm/llm.module';
import { skillCreateWorkflow } from './modules/skills/create/skill-create.workflow';
import { SkillsModule } from './modules/skills/skills.module';
import { SkillsService } from './modules/skills/skills.service';

/**
 * The workflows this deployment runs, built with the services they call. Provided globally so the
 * engine's registry has them before any worker takes a job.
 */
@Global()
@Module({})
export class WorkflowsModule {
  static forRoot(extra: WorkflowDefinition<never, unknown>[] = []): DynamicModule {
    return {
      module: WorkflowsModule,
      imports: [LlmModule, SkillsModule],
      providers: [
        {
          provide: WORKFLOWS,
          useFactory: (llm: LlmProvider, skills: SkillsService) => [
            skillCreateWorkflow(llm, skills),
            ...extra,
          ],
          inject: [LlmProvider, SkillsService],
        },
      ],
      exports: [WORKFLOWS],
    };
  }
}
