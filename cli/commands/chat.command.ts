import { Command, Option } from 'nest-commander';
import { ChatSession } from '../chat/chat-session';
import { usageFailure } from '../printer';
import { remoteFailure, type RemoteOptions } from '../remote';
import { parsePromptSwitches } from './create.command';
import { ServerCommand } from './remote-command';

interface ChatOptions extends RemoteOptions {
  resume?: string;
  prompts?: string;
}

/** Reconnect attempts in a row before the chat gives up on a server (about 3 minutes of backoff). */
const CHAT_RECONNECT_ATTEMPTS = 25;

/**
 * `chat [--resume ID]`: a conversation at the terminal (cli/chat/chat-session.ts). Needs a terminal
 * on both sides, so it has no --json; scripts use `create`.
 */
@Command({
  name: 'chat',
  description:
    'Talk to a running server: type tasks, answer their prompts inline, follow jobs live (/help inside)',
})
export class ChatCommand extends ServerCommand {
  async run(_args: string[], options: ChatOptions): Promise<void> {
    try {
      await this.converse(options);
    } catch (error) {
      this.printer.fail(false, remoteFailure(error, options.url ?? 'the server'));
    }
  }

  private async converse(options: ChatOptions): Promise<void> {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw usageFailure(
        'chat needs a terminal for its input and output',
        'Use skill-fleet create "<task>" in scripts.',
      );
    }
    const prompts =
      options.prompts === undefined ? undefined : parsePromptSwitches(options.prompts);
    const { url } = this.remote.resolveTarget(options);
    await this.remote.session(
      options,
      (client) => new ChatSession(client, this.printer, { url, prompts }).run(options.resume),
      CHAT_RECONNECT_ATTEMPTS,
    );
  }

  @Option({
    flags: '--resume <jobId>',
    description:
      'Start by re-attaching to a job (a unique id prefix of 6+ characters works) and asking its open prompt',
  })
  parseResume(value: string): string {
    return value;
  }

  @Option({
    flags: '--prompts <kinds>',
    description:
      'Prompts the new jobs ask, as create --prompts (default: the server default, clarify,structure_fix)',
  })
  parsePrompts(value: string): string {
    return value;
  }
}
