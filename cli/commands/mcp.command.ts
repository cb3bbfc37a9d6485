import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Command } from 'nest-commander';
import { SkillFleetClient } from '#src/client/index';
import { packageVersion } from '#src/gateway/system-status.service';
import { ClientBackend } from '#src/modules/mcp/client-backend';
import { createSkillFleetMcpServer } from '#src/modules/mcp/skill-fleet-mcp-server';
import { remoteFailure, RemoteOptions } from '../remote';
import { ServerCommand } from './remote-command';

/**
 * `skill-fleet mcp [--url] [--token]`: an MCP server on stdin/stdout for agents that spawn it. It is
 * a client of a running Skill Fleet server over one WebSocket (reconnecting by itself), so the token
 * decides what it may do; a read-only token gets the read tools only. stdout carries MCP messages
 * only: failures go to stderr.
 */
@Command({
  name: 'mcp',
  description:
    'Serve the skill library to MCP clients (agents) over stdio, as a client of a running server',
})
export class McpCommand extends ServerCommand {
  async run(_args: string[], options: RemoteOptions): Promise<void> {
    let url = options.url ?? 'the server';
    let client: SkillFleetClient | undefined;
    try {
      const target = this.remote.resolveTarget(options);
      url = target.url;
      client = await SkillFleetClient.connect({ url: target.url, token: target.token });
      const { readOnly } = await client.call('auth.whoami', {});
      const mcp = createSkillFleetMcpServer(new ClientBackend(client, !readOnly), packageVersion());
      const transport = new StdioServerTransport();
      const ended = new Promise<void>((resolve) => {
        transport.onclose = resolve;
        process.stdin.once('end', resolve);
      });
      await mcp.server.connect(transport);
      await ended;
      await mcp.close();
    } catch (error) {
      this.printer.fail(false, remoteFailure(error, url));
    } finally {
      await client?.close();
    }
  }
}
