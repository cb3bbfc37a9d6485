import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '../client/protocol';
import { EventBus } from '../common/events/event-bus';
import type { Principal } from '../modules/auth/principal';
import { TokensService } from '../modules/auth/tokens.service';
import { GatewaySettings } from './gateway-settings';
import { SubscriptionRegistry } from './subscription.registry';
import { WsConnection } from './ws-connection';
import { sleep } from '../common/sleep';

/** At shutdown, how long to wait for peers to answer the 1001 close before Nest terminates them. */
const CLOSE_WAIT_MS = 1000;

/**
 * The open, authenticated sockets of this process: heartbeat, revocation and graceful shutdown.
 * A revoked token's sockets close with 4401 when the bus says so (from any gateway process), and at
 * the latest on the next heartbeat, which re-checks every token in use.
 */
@Injectable()
export class WsConnections implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WsConnections.name);
  private readonly connections = new Set<WsConnection>();
  private heartbeat?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private inFlight = 0;
  private closing = false;

  constructor(
    private readonly settings: GatewaySettings,
    private readonly tokens: TokensService,
    private readonly bus: EventBus,
    private readonly subscriptions: SubscriptionRegistry,
  ) {}

  /** Set at shutdown: new sockets are turned away and new requests answer UNAVAILABLE. */
  get draining(): boolean {
    return this.closing;
  }

  get size(): number {
    return this.connections.size;
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.bus.subscribe((message) => {
      if (message.kind === 'token-revoked') this.closeToken(message.tokenId);
    });
    this.heartbeat = setInterval(() => void this.beat(), this.settings.limits.pingIntervalMs);
    this.heartbeat.unref();
  }

  add(socket: WebSocket, principal: Principal): WsConnection {
    const connection = new WsConnection(socket, principal, this.settings.limits);
    this.connections.add(connection);
    socket.on('pong', () => (connection.alive = true));
    socket.once('close', () => {
      this.connections.delete(connection);
      this.subscriptions.remove(connection);
    });
    return connection;
  }

  /** Brackets one request, so shutdown can wait for the replies in flight. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }

  closeToken(tokenId: string): void {
    for (const connection of this.connections) {
      if (connection.principal.tokenId === tokenId) {
        connection.close(CLOSE_CODES.UNAUTHORIZED, 'unauthorized');
      }
    }
  }

  /** Stops accepting, lets in-flight requests answer, then closes every socket with 1001. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.unsubscribe?.();
    const deadline = Date.now() + this.settings.limits.drainTimeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(10);
    const closed = [...this.connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.socket.once('close', () => resolve());
          connection.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
        }),
    );
    // Peers normally answer the close at once; the adapter terminates whoever has not.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Terminates sockets that missed the last ping, pings the rest, and re-checks their tokens. */
  private async beat(): Promise<void> {
    const tokenIds = new Set<string>();
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
      tokenIds.add(connection.principal.tokenId);
    }
    for (const tokenId of tokenIds) {
      try {
        if (!(await this.tokens.isActive(tokenId))) this.closeToken(tokenId);
      } catch (error) {
        this.logger.warn(`Token re-check failed: ${(error as Error).message}`);
        return;
      }
    }
  }
}
