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

export interface AppRoles {
  /** Serve HTTP and the WebSocket gateway. */
  api: boolean;
  /** Consume the queue. */
  worker: boolean;
}

/**
 * Composition root. The same feature modules serve every process; `roles` decides whether this one
 * answers clients, runs jobs, or both.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, roles: AppRoles): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        QueueModule.forRoot(config),
        AuthModule,
        ...(roles.api ? [HealthModule, GatewayModule] : []),
      ],
      providers: roles.api ? [{ provide: APP_GUARD, useClass: AuthGuard }] : [],
    };
  }
}
