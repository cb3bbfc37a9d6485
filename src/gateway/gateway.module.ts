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
import { WsMethods } from './ws-methods';

@Module({
  imports: [AuthModule, SkillsModule],
  providers: [
    EventsGateway,
    WsMethods,
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
