import * as fs from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { runDashboard } from '../dashboard/run-dashboard';
import { EXIT_USAGE } from '../exit-codes';
import { loadConfig } from '../load-config';
import { CliFailure, Printer } from '../printer';
import { remoteFailure, RemoteOptions } from '../remote';
import { parseServerUrl } from '../usage-error';

/**
 * `skill-fleet dashboard [--url] [--token]`: the terminal dashboard (docs/protocol.md §3), a client of
 * a running server like the other remote commands, on one WebSocket that reconnects by itself.
 */
@Command({
  name: 'dashboard',
  description: 'The terminal dashboard: watch jobs live, answer prompts, curate skills',
})
export class DashboardCommand extends CommandRunner {
  constructor(private readonly printer: Printer) {
    super();
  }

  async run(_args: string[], options: RemoteOptions): Promise<void> {
    let url = options.url ?? 'the server';
    try {
      const target = resolveTarget(options);
      url = target.url;
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        throw new CliFailure(
          'NOT_A_TERMINAL',
          'The dashboard needs a terminal on stdin and stdout',
          EXIT_USAGE,
          'Run it in a terminal (or tmux); for scripts use the jobs/prompts/skills commands.',
        );
      }
      await runDashboard(target);
    } catch (error) {
      this.printer.fail(false, remoteFailure(error, url));
    }
  }

  @Option({
    flags: '--url <url>',
    description: 'Server WebSocket address (default ws://127.0.0.1:$PORT/ws)',
  })
  parseUrl(value: string): string {
    return parseServerUrl(value);
  }

  @Option({
    flags: '--token <token>',
    description: 'Bearer token (default <DATA_DIR>/admin-token)',
  })
  parseToken(value: string): string {
    return value;
  }
}

/** The same defaults as every remote command: ws://127.0.0.1:$PORT/ws and <DATA_DIR>/admin-token. */
function resolveTarget(options: RemoteOptions): { url: string; token: string } {
  if (options.url && options.token) return { url: options.url, token: options.token };
  const config = loadConfig();
  const url = options.url ?? `ws://127.0.0.1:${config.port}/ws`;
  if (options.token) return { url, token: options.token };
  const token = fs.existsSync(config.adminTokenFile)
    ? fs.readFileSync(config.adminTokenFile, 'utf8').trim()
    : '';
  if (!token) {
    throw new CliFailure(
      'NO_TOKEN',
      `No token: --token was not given and ${config.adminTokenFile} does not exist or is empty`,
      EXIT_USAGE,
      "Pass --token, or set DATA_DIR to the server's data folder (the server writes admin-token there on first start).",
    );
  }
  return { url, token };
}
