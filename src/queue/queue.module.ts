import { BullModule, getQueueToken } from '@nestjs/bull';
import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InProcessQueue } from './in-process-queue';

export const QUEUE_NAMES = ['jobs'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Work delivery. Services mode: Bull on Redis under QUEUE_PREFIX. Embedded mode: an in-process queue
 * under the same token, with Bull's processor discovery still in place so `@Processor` classes run
 * unchanged.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (config.redisUrl) {
      return {
        module: QueueModule,
        imports: [
          BullModule.forRoot({ redis: config.redisUrl, prefix: config.queuePrefix }),
          BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
        ],
        exports: [BullModule],
      };
    }
    const queues: Provider[] = QUEUE_NAMES.map((name) => ({
      provide: getQueueToken(name),
      useFactory: () => new InProcessQueue(name),
    }));
    return {
      module: QueueModule,
      // registerQueue() with no queues brings only Bull's processor explorer.
      imports: [BullModule.registerQueue()],
      providers: queues,
      exports: queues,
    };
  }
}
