import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '#src/config/app-config';
import { CancelHooks, PurgeHooks, RewindHooks } from './cancel-hooks';
import { JobRunner } from './job-runner';
import { JobStore } from './job-store';
import { JobsController } from './jobs.controller';
import { JobsQueue } from './jobs.queue';
import { JobsService } from './jobs.service';
import { JobsSweeper } from './jobs.sweeper';
import { jobsProcessorFor } from './jobs.processor';
import { WorkflowRegistry } from './workflow.registry';

const CORE = [
  JobStore,
  JobsQueue,
  JobsService,
  WorkflowRegistry,
  CancelHooks,
  PurgeHooks,
  RewindHooks,
];

/**
 * The engine. Every process gets the core (store, queue, service, registry); the REST controller
 * only where the API runs, and the processor, runner and sweeper only where a worker runs.
 * The runner asks people through the PromptPort that the (global) HITL module provides; the
 * workflows come from the (global) SkillCreateModule.
 */
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig, roles: { api: boolean; worker: boolean }): DynamicModule {
    return {
      module: JobsModule,
      global: true,
      controllers: roles.api ? [JobsController] : [],
      providers: [
        ...CORE,
        ...(roles.worker
          ? [JobRunner, JobsSweeper, jobsProcessorFor(config.workerConcurrency)]
          : []),
      ],
      exports: CORE,
    };
  }
}
