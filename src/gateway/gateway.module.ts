import { Module } from '@nestjs/common';
import { AuthModule } from '../modules/auth/auth.module';
import { EventsGateway } from './events.gateway';
import { JobsWsHandlers } from './handlers/jobs.ws-handlers';
import { SkillsWsHandlers } from './handlers/skills.ws-handlers';
import { SkillsModule } from '../modules/skills/skills.module';
import { WsMethods } from './ws-methods';

@Module({
  imports: [AuthModule, SkillsModule],
  providers: [EventsGateway, WsMethods, JobsWsHandlers, SkillsWsHandlers],
  exports: [WsMethods],
})
export class GatewayModule {}
