import { Injectable } from '@nestjs/common';
import type { Principal } from '../modules/auth/principal';

/** One protocol method: a thin adapter that validates its payload and calls a service. */
export type WsMethod = (payload: Record<string, unknown>, principal: Principal) => Promise<unknown>;

/**
 * The table of protocol methods (protocol.md 1.3). Feature handlers register here; the gateway looks
 * methods up by `type`, so an unknown type is simply a missing entry.
 */
@Injectable()
export class WsMethods {
  private readonly methods = new Map<string, WsMethod>();

  constructor() {
    this.register('ping', async () => ({ time: new Date().toISOString() }));
  }

  register(type: string, method: WsMethod): void {
    if (this.methods.has(type)) throw new Error(`WebSocket method ${type} is registered twice`);
    this.methods.set(type, method);
  }

  get(type: string): WsMethod | undefined {
    return this.methods.get(type);
  }
}
