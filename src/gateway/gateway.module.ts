import { Module } from '@nestjs/common';
import { AuthModule } from '../modules/auth/auth.module';
import { EventsGateway } from './events.gateway';
import { WsMethods } from './ws-methods';

@Module({
  imports: [AuthModule],
  providers: [EventsGateway, WsMethods],
  exports: [WsMethods],
})
export class GatewayModule {}
