import { Command } from 'nest-commander';
import { EXIT_USAGE } from '../exit-codes';
import { CliFailure } from '../printer';
import { remoteFailure, RemoteOptions } from '../remote';
import { ServerCommand } from './remote-command';

/**
 * `skill-fleet dashboard [--url] [--token]`: the terminal dashboard (docs/protocol.md §3), a client of
 * a running server like the other remote commands, on one WebSocket that reconnects by itself.
 */
@Command({
  name: 'dashboard',
  description: 'The terminal dashboard: watch jobs live, answer prompts, curate skills',
})
export class DashboardCommand extends ServerCommand {
  async run(_args: string[], options: RemoteOptions): Promise<void> {
    let url = options.url ?? 'the server';
    try {
      const target = this.remote.resolveTarget(options);
      url = target.url;
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        throw new CliFailure(
          'NOT_A_TERMINAL',
          'The dashboard needs a terminal on stdin and stdout',
          EXIT_USAGE,
          'Run it in a terminal (or tmux); for scripts use the jobs/prompts/skills commands.',
        );
      }
      // Loaded here, not at start: blessed is of no use to serve and the other commands.
      const { runDashboard } = await import('#cli/dashboard/run-dashboard');
      await runDashboard(target);
    } catch (error) {
      this.printer.fail(false, remoteFailure(error, url));
    }
  }
}
