import { ArgumentsHost, Catch, Logger, WsExceptionFilter } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { ErrorCode } from '../client/protocol';
import { errorReply } from './ws-envelope';

/**
 * Replaces Nest's default WebSocket error frame, which echoes the client's input back. The gateway
 * answers its own errors; anything reaching this filter is a framework-level failure, answered as
 * INTERNAL with an errorId and nothing of the input.
 */
@Catch()
export class WsInternalErrorFilter implements WsExceptionFilter {
  private readonly logger = new Logger('WsError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const errorId = randomUUID();
    this.logger.error(`errorId=${errorId} ${String(exception)}`, (exception as Error)?.stack);
    const client = host.switchToWs().getClient<WebSocket>();
    client.send(
      JSON.stringify(
        errorReply(null, { code: ErrorCode.INTERNAL, message: 'Internal error', errorId }),
      ),
    );
  }
}
