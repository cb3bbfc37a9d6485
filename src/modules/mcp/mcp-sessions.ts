import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventBus } from '#src/common/events/event-bus';
import { packageVersion } from '#src/gateway/system-status.service';
import type { Principal } from '../auth/principal';
import { HitlService } from '../hitl/hitl.service';
import { JobsService } from '../jobs/jobs.service';
import { SkillsService } from '../skills/skills.service';
import { ServicesBackend } from './services-backend';
import { createSkillFleetMcpServer, SkillFleetMcpServer } from './skill-fleet-mcp-server';

/** Open sessions per process, and per token. */
export const MAX_MCP_SESSIONS = 500;
export const MAX_MCP_SESSIONS_PER_TOKEN = 20;
/** A session with no request and no open event stream for this long is closed. */
export const MCP_SESSION_IDLE_MS = 30 * 60_000;

interface Session {
  transport: StreamableHTTPServerTransport;
  mcp: SkillFleetMcpServer;
  tokenId: string;
  lastSeen: number;
  openStreams: number;
}

export type McpRequest = IncomingMessage & { body?: unknown };

/**
 * The Streamable HTTP sessions of `/mcp` in this process. A session belongs to the token that
 * opened it: a request with another token's session id is answered as if the session did not
 * exist. Sessions live in memory, so a client talks to the process that opened its session.
 */
@Injectable()
export class McpSessions implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(McpSessions.name);
  private readonly sessions = new Map<string, Session>();
  private readonly version = packageVersion();
  private sweeper: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly skills: SkillsService,
    private readonly jobs: JobsService,
    private readonly hitl: HitlService,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => this.closeIdle(), 60_000).unref();
    this.stopListening = this.bus.subscribe((message) => {
      if (message.kind !== 'token-revoked') return;
      for (const [id, session] of this.sessions) {
        if (session.tokenId === message.tokenId) void this.close(id);
      }
    });
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    this.stopListening?.();
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  get size(): number {
    return this.sessions.size;
  }

  async handle(request: McpRequest, response: ServerResponse, principal: Principal): Promise<void> {
    const header = request.headers['mcp-session-id'];
    const sessionId = typeof header === 'string' ? header : undefined;
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      if (!session || session.tokenId !== principal.tokenId) {
        return rpcError(response, 404, -32001, 'Session not found');
      }
      this.track(session, response);
      return session.transport.handleRequest(request, response, request.body);
    }
    if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
      return rpcError(response, 400, -32000, 'Bad Request: no valid mcp-session-id header');
    }
    const refusal = this.capacityRefusal(principal);
    if (refusal) return rpcError(response, 503, -32000, refusal);
    await this.open(principal, request, response);
  }

  private capacityRefusal(principal: Principal): string | null {
    if (this.sessions.size >= MAX_MCP_SESSIONS) {
      return `This server holds ${MAX_MCP_SESSIONS} MCP sessions; try again later`;
    }
    const own = [...this.sessions.values()].filter((s) => s.tokenId === principal.tokenId);
    if (own.length >= MAX_MCP_SESSIONS_PER_TOKEN) {
      return `This token holds ${MAX_MCP_SESSIONS_PER_TOKEN} MCP sessions; close one (DELETE /mcp) first`;
    }
    return null;
  }

  private async open(
    principal: Principal,
    request: McpRequest,
    response: ServerResponse,
  ): Promise<void> {
    const backend = new ServicesBackend(
      { skills: this.skills, jobs: this.jobs, hitl: this.hitl, bus: this.bus },
      principal,
    );
    const mcp = createSkillFleetMcpServer(backend, this.version);
    const session: Session = {
      mcp,
      tokenId: principal.tokenId,
      lastSeen: Date.now(),
      openStreams: 0,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          this.sessions.set(id, session);
        },
      }),
    };
    session.transport.onclose = () => {
      const id = session.transport.sessionId;
      if (id && this.sessions.get(id) === session) this.sessions.delete(id);
      void mcp.close().catch(() => undefined);
    };
    await mcp.server.connect(session.transport);
    await session.transport.handleRequest(request, response, request.body);
  }

  /** Counts the requests in flight (an event stream may stay open for hours) and the last one. */
  private track(session: Session, response: ServerResponse): void {
    session.lastSeen = Date.now();
    session.openStreams += 1;
    response.once('close', () => {
      session.openStreams -= 1;
      session.lastSeen = Date.now();
    });
  }

  private closeIdle(): void {
    const cutoff = Date.now() - MCP_SESSION_IDLE_MS;
    for (const [id, session] of this.sessions) {
      if (session.openStreams === 0 && session.lastSeen < cutoff) void this.close(id);
    }
  }

  private async close(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    try {
      await session.mcp.close();
    } catch (error) {
      this.logger.warn(`Closing MCP session failed: ${(error as Error).message}`);
    }
  }
}

function rpcError(response: ServerResponse, status: number, code: number, message: string): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
