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
import type { WebSocket } from 'ws';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-codes';
import type { Principal } from '../modules/auth/principal';
import { TokensService } from '../modules/auth/tokens.service';
import {
  BadFrame,
  errorReply,
  okReply,
  parseRequest,
  RawFrame,
  REQUEST_EVENT,
  WsReply,
} from './ws-envelope';
import { WsInternalErrorFilter } from './ws-exception.filter';
import { WsMethods } from './ws-methods';

export const CLOSE_UNAUTHORIZED = 4401;

/** Reads the token from `Authorization: Bearer …` or `?token=`. */
const tokenFrom = (request: IncomingMessage): string | undefined => {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
  return query ?? undefined;
};

/**
 * The WebSocket endpoint at /ws. It authenticates at the upgrade, checks each frame's envelope, and
 * dispatches to the method table; every request gets exactly one reply.
 */
@WebSocketGateway({ path: '/ws' })
@UseFilters(WsInternalErrorFilter)
export class EventsGateway implements OnGatewayConnection {
  private readonly logger = new Logger(EventsGateway.name);
  private readonly principals = new WeakMap<WebSocket, Promise<Principal | null>>();

  constructor(
    private readonly tokens: TokensService,
    private readonly methods: WsMethods,
  ) {}

  handleConnection(client: WebSocket, request: IncomingMessage): void {
    const principal = this.tokens.authenticate(tokenFrom(request)).catch((error: Error) => {
      this.logger.error(`Token check failed: ${error.message}`);
      return null;
    });
    this.principals.set(client, principal);
    void principal.then((found) => {
      if (!found) client.close(CLOSE_UNAUTHORIZED, 'unauthorized');
    });
  }

  @SubscribeMessage(REQUEST_EVENT)
  async onRequest(
    @ConnectedSocket() client: WebSocket,
    @MessageBody() frame: RawFrame,
  ): Promise<WsReply | undefined> {
    const principal = await this.principals.get(client);
    if (!principal) return undefined;
    let replyTo: string | null = null;
    try {
      const request = parseRequest(frame.data);
      replyTo = request.id;
      const method = this.methods.get(request.type);
      if (!method) {
        throw new AppError(ErrorCode.UNKNOWN_TYPE, `Unknown type "${request.type.slice(0, 64)}"`);
      }
      return okReply(request.id, await method(request.payload, principal));
    } catch (error) {
      if (error instanceof BadFrame) replyTo = error.replyTo;
      return errorReply(replyTo, this.toErrorBody(error));
    }
  }

  private toErrorBody(error: unknown) {
    if (error instanceof AppError) {
      return {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      };
    }
    const errorId = randomUUID();
    this.logger.error(`errorId=${errorId} ${(error as Error)?.stack ?? String(error)}`);
    return { code: ErrorCode.INTERNAL, message: 'Internal error', errorId };
  }
}
