import { getQueueToken } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';

const PING_TIMEOUT_MS = 1000;

/** The queue is up when its Redis connection answers a PING (always, for the in-process queue). */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    @Inject(getQueueToken('jobs')) private readonly queue: Queue,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'queue') {
    const indicator = this.health.check(key);
    const client = (this.queue as Partial<Queue>).client;
    if (!client) return indicator.up({ backend: 'in-process' });
    if (client.status !== 'ready') return indicator.down({ message: `Redis is ${client.status}` });
    try {
      await Promise.race([
        client.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('Redis did not answer PING in time')), PING_TIMEOUT_MS),
        ),
      ]);
      return indicator.up({ backend: 'redis' });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
