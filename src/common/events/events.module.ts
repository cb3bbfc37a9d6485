import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '#src/config/app-config';
import { EventBus } from './event-bus';
import { InProcessEventBus } from './in-process-event-bus';
import { RedisEventBus } from './redis-event-bus';

@Global()
@Module({})
export class EventsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: EventsModule,
      providers: [
        { provide: EventBus, useClass: config.redisUrl ? RedisEventBus : InProcessEventBus },
      ],
      exports: [EventBus],
    };
  }
}
