import { Command, CommandRunner, Option } from 'nest-commander';
import { startServer } from '#src/server';
import { CliOutput } from '../cli-output';
import { loadConfig } from '../load-config';
import { untilShutdownSignal } from '../shutdown';
import { UsageError } from '../usage-error';
import { OPENAPI_PATH } from '#src/common/http/openapi';

interface ServeOptions {
  port?: number;
  worker: boolean;
}

@Command({
  name: 'serve',
  description: 'Run the API and WebSocket gateway (and a worker unless --no-worker)',
})
export class ServeCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run(_args: string[], options: ServeOptions): Promise<void> {
    const base = loadConfig();
    const config = options.port === undefined ? base : base.with({ port: options.port });
    const server = await startServer(config, { worker: options.worker });
    const wsUrl = server.url.replace(/^http/, 'ws');
    this.out.line(`Skill Fleet is up (${server.config.mode} mode) on ${server.url}`);
    this.out.line(`  WebSocket:  ${wsUrl}/ws`);
    this.out.line(`  Health:     ${server.url}/health/ready`);
    this.out.line(
      `  API docs:   ${server.url}/${OPENAPI_PATH} (OpenAPI; the document at /${OPENAPI_PATH}-json)`,
    );
    // The secret itself is never printed: this output is often a log that others read.
    this.out.line(`  Admin token file: ${config.adminTokenFile}`);
    if (server.newAdminToken) this.out.line('  (a new admin token was written to that file)');
    this.out.line('Press Ctrl-C to stop.');
    await untilShutdownSignal();
    this.out.line('Shutting down…');
    await server.close();
  }

  @Option({
    flags: '-p, --port <port>',
    description: 'HTTP and WebSocket port (default: PORT or 3000)',
  })
  parsePort(value: string): number {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be a whole number between 0 and 65535 (got "${value}")`);
    }
    return port;
  }

  @Option({
    flags: '--no-worker',
    description: 'Serve clients only; leave the queue to `worker` processes',
  })
  parseNoWorker(): boolean {
    return false;
  }
}
