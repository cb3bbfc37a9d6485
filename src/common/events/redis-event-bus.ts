import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '#src/config/app-config';
import { BusListener, BusMessage, EventBus } from './event-bus';

/**
 * Fan-out across processes: every process publishes to one channel and hears every message. The
 * messages published in one turn of the event loop travel as one PUBLISH of a JSON array (a step's events
 * and job snapshot, or many jobs' at once), in the order they were published.
 */
@Injectable()
export class RedisEventBus extends EventBus implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly listeners = new Set<BusListener>();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  private batch: BusMessage[] = [];

  constructor(config: AppConfig) {
    super();
    const url = config.redisUrl;
    if (!url) throw new Error('RedisEventBus needs REDIS_URL');
    this.channel = `${config.queuePrefix}:events`;
    this.publisher = new Redis(url, { maxRetriesPerRequest: null });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
    // ioredis re-subscribes by itself after a reconnect; a refusal here would otherwise go unseen.
    this.subscriber
      .subscribe(this.channel)
      .catch((error: Error) => this.logger.error(`Redis subscribe failed: ${error.message}`));
    this.subscriber.on('message', (_channel: string, raw: string) => {
      for (const message of JSON.parse(raw) as BusMessage[]) {
        for (const listener of this.listeners) listener(message);
      }
    });
  }

  publish(message: BusMessage): void {
    if (this.batch.push(message) === 1) setImmediate(() => this.send());
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.publisher.publish(this.channel, JSON.stringify(batch)).catch((error: Error) => {
      this.logger.warn(`Publish failed (clients will catch up from the log): ${error.message}`);
    });
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onApplicationShutdown(): void {
    this.send();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
