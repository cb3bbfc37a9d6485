import { DynamicModule, Module } from '@nestjs/common';
import { PromptPort } from '../jobs/prompt.port';
import { HitlController } from './hitl.controller';
import { HitlService } from './hitl.service';
import { HitlSweeper } from './hitl.sweeper';
import { PromptKinds } from './prompt-kinds';

/**
 * Human in the loop. Needs the engine's core (JobsModule is global). Provides the PromptPort the
 * engine's runner asks through; the timeout sweeper runs only where a worker runs.
 */
@Module({})
export class HitlModule {
  static forRoot(roles: { api: boolean; worker: boolean }): DynamicModule {
    return {
      module: HitlModule,
      global: true,
      controllers: roles.api ? [HitlController] : [],
      providers: [
        PromptKinds,
        HitlService,
        { provide: PromptPort, useExisting: HitlService },
        ...(roles.worker ? [HitlSweeper] : []),
      ],
      exports: [HitlService, PromptKinds, PromptPort],
    };
  }
}
