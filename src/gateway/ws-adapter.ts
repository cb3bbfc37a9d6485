import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { wsMessageParser } from './ws-envelope';

export interface GatewayAdapterOptions {
  /** WS_MAX_PAYLOAD: a larger frame closes its socket with 1009. */
  maxPayload: number;
  /** How long `ws` waits for the peer's close frame before destroying the socket. */
  closeTimeoutMs: number;
}

/**
 * Nest's WsAdapter with our frame parser and the `ws` server options the contract needs. Errors a
 * client causes (an oversize or malformed frame) are logged at debug level: they are the client's,
 * and logging them louder would let any client flood the log.
 */
export class GatewayWsAdapter extends WsAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly options: GatewayAdapterOptions,
  ) {
    super(app, { messageParser: wsMessageParser });
  }

  override create(port: number, options: Record<string, unknown> = {}): WebSocketServer {
    return super.create(port, {
      ...options,
      maxPayload: this.options.maxPayload,
      closeTimeout: this.options.closeTimeoutMs,
    }) as WebSocketServer;
  }

  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (socket: WebSocket) =>
      socket.on('error', (error: Error) => this.logger.debug(`Client socket: ${error.message}`)),
    );
    server.on('error', (error: Error) => this.logger.error(error));
    return server;
  }
}
