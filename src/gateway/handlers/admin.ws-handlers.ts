import { Injectable } from '@nestjs/common';
import { iso } from '#src/common/iso';
import { validateDto } from '#src/common/errors/validation';
import { EventBus } from '#src/common/events/event-bus';
import { TokensService } from '#src/modules/auth/tokens.service';
import { assertEmptyPayload, CreateTokenDto, TokenIdDto } from '../dto/gateway.dto';
import { SystemStatusService } from '../system-status.service';
import type { WsHandlerTable } from '../ws-methods';

/** Admin methods of protocol.md 1.3: tokens.create|list|revoke and system.status. */
@Injectable()
export class AdminWsHandlers {
  constructor(
    private readonly tokens: TokensService,
    private readonly bus: EventBus,
    private readonly system: SystemStatusService,
  ) {}

  readonly handlers = {
    'tokens.create': async (payload, principal) => {
      const request = await validateDto(CreateTokenDto, payload, 'payload');
      return this.tokens.createFor(principal, request);
    },
    'tokens.list': async (payload, principal) => {
      assertEmptyPayload(payload);
      const rows = await this.tokens.listFor(principal);
      return {
        tokens: rows.map((row) => ({
          id: row.id,
          userId: row.userId,
          role: row.role,
          readOnly: row.readOnly,
          createdAt: iso(row.createdAt)!,
          lastUsedAt: iso(row.lastUsedAt),
          revokedAt: iso(row.revokedAt),
        })),
      };
    },
    'tokens.revoke': async (payload, principal, call) => {
      const { id } = await validateDto(TokenIdDto, payload, 'payload');
      await this.tokens.revokeFor(principal, id);
      // After the reply, so that an admin revoking its own token still hears the answer.
      call.afterReply(() => this.bus.publish({ kind: 'token-revoked', tokenId: id }));
      return {};
    },
    'system.status': async (payload, principal) => {
      assertEmptyPayload(payload);
      return this.system.status(principal);
    },
  } satisfies Partial<WsHandlerTable>;
}
