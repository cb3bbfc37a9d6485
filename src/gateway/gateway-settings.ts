import { Injectable } from '@nestjs/common';

/** The gateway's protective limits. */
export interface GatewayLimits {
  /** A socket whose queued bytes would pass this is closed with 4429 (protocol.md 1.4). */
  maxBufferedBytes: number;
  /** The server pings every socket this often and terminates one that missed the previous pong. */
  pingIntervalMs: number;
  /** Per-connection token bucket: `burst` requests at once, refilled at `perSecond`. */
  rateLimit: { perSecond: number; burst: number };
  /** At shutdown, how long in-flight requests may take to finish before sockets close with 1001. */
  drainTimeoutMs: number;
  /** How long a closing socket may hold its buffers while the peer does not answer the close. */
  closeTimeoutMs: number;
  /**
   * Token checks (one query each) run at once at the upgrade, and how many more may wait; a socket
   * past both closes with 1013. Keeps a burst of unauthenticated sockets from taking the pool.
   */
  authChecks: { running: number; waiting: number };
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxBufferedBytes: 4 * 1024 * 1024,
  pingIntervalMs: 30_000,
  rateLimit: { perSecond: 100, burst: 200 },
  drainTimeoutMs: 5_000,
  closeTimeoutMs: 5_000,
  authChecks: { running: 2, waiting: 1_000 },
};

/**
 * The limits in force. The defaults suit production; `startServer` may override them (tests shrink
 * them) after the app is created and before it listens, which is when the gateway first reads them.
 */
@Injectable()
export class GatewaySettings {
  private current: GatewayLimits = DEFAULT_GATEWAY_LIMITS;

  get limits(): GatewayLimits {
    return this.current;
  }

  apply(overrides: Partial<GatewayLimits>): void {
    this.current = { ...this.current, ...overrides };
  }
}
