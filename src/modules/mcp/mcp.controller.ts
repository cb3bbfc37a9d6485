import { All, Controller, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { McpRequest, McpSessions } from './mcp-sessions';

/**
 * `/mcp`: the Model Context Protocol over Streamable HTTP (POST, GET for the event stream, DELETE
 * to end a session). The global AuthGuard has already refused a missing or bad token with 401.
 */
@ApiExcludeController()
@Controller('mcp')
export class McpController {
  constructor(private readonly sessions: McpSessions) {}

  @All()
  handle(
    @Req() request: McpRequest,
    @Res() response: ServerResponse,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    return this.sessions.handle(request, response, principal);
  }
}
