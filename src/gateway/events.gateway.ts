import { Logger, UseFilters } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { CLOSE_CODES, type ErrorBody, type ReplyFrame, ErrorCode } from '../client/protocol';
import { AppError } from '../common/errors/app-error';
import { assertPayloadCost } from '../common/errors/payload-cost';
import { bearerToken } from '../modules/auth/auth.guard';
import type { Principal } from '../modules/auth/principal';
import { TokensService } from '../modules/auth/tokens.service';
import { AuthGate } from './auth-gate';
import { GatewaySettings } from './gateway-settings';
import { WsConnection } from './ws-connection';
import { WsConnections } from './ws-connections';
import {
  RefusedFrame,
  errorReply,
  okReply,
  parseRequest,
  RawFrame,
  REQUEST_EVENT,
} from './ws-envelope';
import { WsInternalErrorFilter } from './ws-exception.filter';
import { WsMethods } from './ws-methods';

/** Reads the token from `Authorization: Bearer …` or `?token=`. */
const tokenFrom = (request: IncomingMessage): string | undefined => {
  const header = bearerToken(request.headers.authorization);
  if (header !== undefined) return header;
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
  return query ?? undefined;
};

/**
 * The WebSocket endpoint at /ws. It authenticates at the upgrade, checks each frame's envelope, cost
 * and the connection's rate limit, and dispatches to the method table. A socket is not read until its
 * token check ends: frames sent meanwhile stay in the kernel's buffers (TCP pushes back on the
 * sender), so they cost this process neither memory nor a query. Every request gets exactly one
 * reply, which the gateway sends itself so that a subscription's events can follow it in order.
 */
@WebSocketGateway({ path: '/ws' })
@UseFilters(WsInternalErrorFilter)
export class EventsGateway implements OnGatewayConnection {
  private readonly logger = new Logger(EventsGateway.name);
  private readonly ready = new WeakMap<WebSocket, Promise<WsConnection | null>>();
  private authGate?: AuthGate;

  constructor(
    private readonly tokens: TokensService,
    private readonly methods: WsMethods,
    private readonly connections: WsConnections,
    private readonly settings: GatewaySettings,
  ) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    if (this.connections.draining) {
      socket.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
      return;
    }
    socket.pause();
    const ready = this.authenticate(socket, tokenFrom(request));
    // Resumed whatever the outcome: a refused socket must still read the peer's close frame.
    ready
      .finally(() => socket.resume())
      .catch((error: unknown) => this.logger.error(`Connection setup failed: ${String(error)}`));
    this.ready.set(socket, ready);
  }

  @SubscribeMessage(REQUEST_EVENT)
  async onRequest(
    @ConnectedSocket() socket: WebSocket,
    @MessageBody() frame: RawFrame,
  ): Promise<undefined> {
    const connection = await this.ready.get(socket);
    if (!connection) return undefined;
    await this.connections.track(async () => {
      const hooks: (() => void)[] = [];
      const reply = await this.answer(connection, frame.data, hooks);
      connection.send(this.encode(reply));
      for (const hook of hooks) hook();
    });
    return undefined;
  }

  private async authenticate(socket: WebSocket, token: string | undefined) {
    let principal: Principal | null | 'busy';
    try {
      this.authGate ??= new AuthGate(
        this.settings.limits.authChecks.running,
        this.settings.limits.authChecks.waiting,
      );
      // A socket that closed while it waited for its turn costs no query.
      principal = await this.authGate.run(
        async () => (socket.readyState === WebSocket.OPEN ? this.tokens.authenticate(token) : null),
        'busy' as const,
      );
    } catch (error) {
      this.logger.error(`Token check failed: ${(error as Error).message}`);
      socket.close(CLOSE_CODES.TRY_AGAIN_LATER, 'try again later');
      return null;
    }
    if (principal === 'busy') {
      socket.close(CLOSE_CODES.TRY_AGAIN_LATER, 'try again later');
      return null;
    }
    if (!principal) {
      socket.close(CLOSE_CODES.UNAUTHORIZED, 'unauthorized');
      return null;
    }
    if (socket.readyState !== WebSocket.OPEN) return null;
    if (this.connections.draining) {
      socket.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
      return null;
    }
    return this.connections.add(socket, principal);
  }

  private async answer(
    connection: WsConnection,
    data: unknown,
    hooks: (() => void)[],
  ): Promise<ReplyFrame> {
    // Broken and rate-limited frames cost a token too, so garbage cannot flood the parser.
    const allowed = connection.bucket.take();
    let replyTo: string | null = null;
    try {
      const request = parseRequest(data);
      replyTo = request.id;
      if (!allowed) throw this.rateLimited(connection);
      assertPayloadCost(request.payload, 'payload');
      if (this.connections.draining) {
        throw AppError.unavailable('The server is shutting down; reconnect shortly');
      }
      const method = this.methods.get(request.type);
      if (!method) {
        throw new AppError(ErrorCode.UNKNOWN_TYPE, `Unknown type "${request.type.slice(0, 64)}"`);
      }
      const call = { connection, afterReply: (hook: () => void) => hooks.push(hook) };
      return okReply(request.id, await method(request.payload, connection.principal, call));
    } catch (error) {
      hooks.length = 0;
      if (error instanceof RefusedFrame) {
        replyTo = error.replyTo;
        if (!allowed) return errorReply(replyTo, this.toErrorBody(this.rateLimited(connection)));
      }
      return errorReply(replyTo, this.toErrorBody(error));
    }
  }

  /** A reply whose payload cannot be serialised still answers, as INTERNAL. */
  private encode(reply: ReplyFrame): string {
    try {
      return JSON.stringify(reply);
    } catch (error) {
      return JSON.stringify(errorReply(reply.replyTo, this.toErrorBody(error)));
    }
  }

  private rateLimited(connection: WsConnection): AppError {
    return new AppError(ErrorCode.RATE_LIMITED, 'Too many requests on this connection', {
      retryAfterMs: connection.bucket.retryAfterMs(),
    });
  }

  private toErrorBody(error: unknown): ErrorBody {
    if (error instanceof AppError) {
      return {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      };
    }
    const errorId = randomUUID();
    this.logger.error(`errorId=${errorId} ${String(error)}`, (error as Error)?.stack);
    return { code: ErrorCode.INTERNAL, message: 'Internal error', errorId };
  }
}
