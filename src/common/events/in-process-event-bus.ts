import { Injectable } from '@nestjs/common';
import { BusListener, BusMessage, EventBus } from './event-bus';

@Injectable()
export class InProcessEventBus extends EventBus {
  private readonly listeners = new Set<BusListener>();

  publish(message: BusMessage): void {
    // Deliver asynchronously, like the Redis bus, so publishers never run subscriber code inline.
    queueMicrotask(() => {
      for (const listener of this.listeners) listener(message);
    });
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
