import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { GatewayModule } from './gateway/gateway.module';
import { HealthModule } from './health/health.module';
import { AuthGuard } from './modules/auth/auth.guard';
import { AuthModule } from './modules/auth/auth.module';
import { QueueModule } from './queue/queue.module';
import { SkillsModule } from './modules/skills/skills.module';
import { EventsModule } from './common/events/events.module';
import { JobsModule } from './modules/jobs/jobs.module';
import { HitlModule } from './modules/hitl/hitl.module';
import { SkillCreateModule } from './modules/skill-create/skill-create.module';
import { MetricsModule } from './metrics/metrics.module';
import { McpModule } from './modules/mcp/mcp.module';
import { WorkflowDefinition } from './modules/jobs/workflow';

export interface AppOptions {
  /** Serve HTTP and the WebSocket gateway. */
  api: boolean;
  /** Consume the queue. */
  worker: boolean;
  /** Workflows beyond the built-in ones (tests register theirs here). */
  extraWorkflows?: WorkflowDefinition<never, unknown>[];
}

/**
 * Composition root. The same feature modules serve every process; `roles` decides whether this one
 * answers clients, runs jobs, or both.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, roles: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        QueueModule.forRoot(config),
        EventsModule.forRoot(config),
        JobsModule.forRoot(config, roles),
        SkillCreateModule.forRoot(roles.extraWorkflows),
        HitlModule.forRoot(roles),
        AuthModule,
        SkillsModule,
        ...(roles.api ? [HealthModule, GatewayModule, MetricsModule, McpModule] : []),
      ],
      providers: roles.api ? [{ provide: APP_GUARD, useClass: AuthGuard }] : [],
    };
  }
}
