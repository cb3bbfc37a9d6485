import { Module } from '@nestjs/common';
import { SkillsModule } from '../skills/skills.module';
import { McpController } from './mcp.controller';
import { McpSessions } from './mcp-sessions';

/** The MCP server at `/mcp` (Streamable HTTP); API processes only. */
@Module({
  imports: [SkillsModule],
  controllers: [McpController],
  providers: [McpSessions],
})
export class McpModule {}
