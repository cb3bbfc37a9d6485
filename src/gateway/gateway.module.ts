import { Module } from '@nestjs/common';
import { AuthModule } from '../modules/auth/auth.module';
import { EventsGateway } from './events.gateway';
import { GatewaySettings } from './gateway-settings';
import { AdminWsHandlers } from './handlers/admin.ws-handlers';
import { HitlWsHandlers } from './handlers/hitl.ws-handlers';
import { JobsWsHandlers } from './handlers/jobs.ws-handlers';
import { SkillsWsHandlers } from './handlers/skills.ws-handlers';
import { StreamsWsHandlers } from './handlers/streams.ws-handlers';
import { SubscriptionRegistry } from './subscription.registry';
import { SystemStatusService } from './system-status.service';
import { WsConnections } from './ws-connections';
import { SkillsModule } from '../modules/skills/skills.module';
import { ping, whoami, WsHandlerTable, WsMethods } from './ws-methods';

/**
 * The protocol's method table, joined from the features' handlers. Typed as the whole table, it does
 * not compile while a method of `Methods` has no handler.
 */
function protocolMethods(
  jobs: JobsWsHandlers,
  streams: StreamsWsHandlers,
  admin: AdminWsHandlers,
  hitl: HitlWsHandlers,
  skills: SkillsWsHandlers,
): WsMethods {
  const groups = [jobs, streams, admin, hitl, skills].map((group) => group.handlers);
  const table: WsHandlerTable = {
    ping,
    'auth.whoami': whoami,
    ...jobs.handlers,
    ...streams.handlers,
    ...admin.handlers,
    ...hitl.handlers,
    ...skills.handlers,
  };
  const declared = groups.reduce((count, group) => count + Object.keys(group).length, 2);
  if (declared !== Object.keys(table).length) {
    throw new Error('Two handler groups declare the same WebSocket method');
  }
  return new WsMethods(table);
}

@Module({
  imports: [AuthModule, SkillsModule],
  providers: [
    EventsGateway,
    {
      provide: WsMethods,
      inject: [
        JobsWsHandlers,
        StreamsWsHandlers,
        AdminWsHandlers,
        HitlWsHandlers,
        SkillsWsHandlers,
      ],
      useFactory: protocolMethods,
    },
    GatewaySettings,
    WsConnections,
    SubscriptionRegistry,
    SystemStatusService,
    JobsWsHandlers,
    StreamsWsHandlers,
    AdminWsHandlers,
    HitlWsHandlers,
    SkillsWsHandlers,
  ],
  exports: [WsMethods, GatewaySettings, WsConnections],
})
export class GatewayModule {}
