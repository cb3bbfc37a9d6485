import { Injectable } from '@nestjs/common';
import { CommandRunner, Option } from 'nest-commander';
import { Printer, usageFailure } from '../printer';
import { startActivity } from '../progress';
import { remoteFailure, Remote, RemoteOptions } from '../remote';
import { parseServerUrl } from '../usage-error';

export interface RemoteCommandOptions extends RemoteOptions {
  /** `true` for JSON output; `prompts answer` also accepts the answer here (a string). */
  json?: boolean | string;
}

/**
 * A command that talks to a running server: `--url` and `--token`, resolved by Remote. @Injectable so
 * Nest reads the constructor's parameter types for the subclasses.
 */
@Injectable()
export abstract class ServerCommand extends CommandRunner {
  constructor(
    protected readonly remote: Remote,
    protected readonly printer: Printer,
  ) {
    super();
  }

  @Option({
    flags: '--url <url>',
    description:
      'Server WebSocket address (default: the one the server recorded in <DATA_DIR>/server-url, else ws://127.0.0.1:$PORT/ws)',
  })
  parseUrl(value: string): string {
    return parseServerUrl(value);
  }

  @Option({
    flags: '--token <token>',
    description:
      'Bearer token (default: SKILL_FLEET_TOKEN, else <DATA_DIR>/admin-token, sent only to the server recorded in <DATA_DIR>/server-url)',
  })
  parseToken(value: string): string {
    return value;
  }
}

/** A client command: parse options, one call through Remote, print through Printer (or JSON). */
@Injectable()
export abstract class RemoteCommand<
  O extends RemoteCommandOptions = RemoteCommandOptions,
> extends ServerCommand {
  async run(args: string[], options: O): Promise<void> {
    try {
      await this.execute(args, options);
    } catch (error) {
      this.printer.fail(options.json === true, remoteFailure(error, options.url ?? 'the server'));
    }
  }

  protected abstract execute(args: string[], options: O): Promise<void>;

  /** Runs a long call (import, reindex, purge) with a progress display on stderr (see progress.ts). */
  protected async longRunning<T>(label: string, options: O, work: () => Promise<T>): Promise<T> {
    const activity = startActivity(label, { json: options.json === true });
    try {
      const result = await work();
      activity.done('done');
      return result;
    } catch (error) {
      activity.done('failed');
      throw error;
    }
  }

  @Option({ flags: '--json', description: 'Print one JSON document' })
  parseJson(): boolean | string {
    return true;
  }
}

/** A parent command (`jobs`, `prompts` …) run without a subcommand: usage, exit 2. */
export function groupUsage(printer: Printer, usage: string): void {
  printer.fail(false, usageFailure(`Usage: ${usage}`, 'See --help.'));
}

/** `value` when it is one of `statuses`; otherwise a usage error naming them. */
export function knownStatus<S extends string>(value: string, statuses: readonly S[]): S {
  if (!(statuses as readonly string[]).includes(value)) {
    throw usageFailure(`Unknown status "${value}"; use ${statuses.join(', ')}`);
  }
  return value as S;
}
