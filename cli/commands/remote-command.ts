import { Injectable } from '@nestjs/common';
import { CommandRunner, Option } from 'nest-commander';
import { confirmAtTerminal } from '../confirm';
import type { IdKind } from '../id-prefix';
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

export interface DeleteOptions extends RemoteCommandOptions {
  yes?: boolean;
}

/**
 * A delete of one thing named by the first argument: asks on the terminal unless `--yes` ("Not
 * deleted." on anything but yes), then one call, then one line (or the reply as JSON).
 */
@Injectable()
export abstract class ConfirmedDeleteCommand extends RemoteCommand<DeleteOptions> {
  /** The question, ending in `[y/N] `. */
  protected abstract question(id: string): string;
  /** The call that deletes; its reply is what `--json` prints. */
  protected abstract remove(id: string, options: DeleteOptions): Promise<object>;
  /** The line printed after the delete. */
  protected abstract done(id: string): string;

  /** What the id names, when a unique prefix of it may be given (see id-prefix.ts). */
  protected readonly idKind: IdKind | null = null;

  protected async execute([given]: string[], options: DeleteOptions): Promise<void> {
    const id = this.idKind ? await this.remote.resolveId(options, this.idKind, given) : given;
    if (!options.yes && !(await confirmAtTerminal(this.question(id)))) {
      this.printer.line('Not deleted.');
      return;
    }
    const reply = await this.remove(id, options);
    this.printer.result(options.json === true, reply, () => this.printer.line(this.done(id)));
  }

  @Option({ flags: '--yes', description: 'Delete without asking' })
  parseYes(): boolean {
    return true;
  }
}

export { confirmAtTerminal };

/** A parent command (`jobs`, `prompts` …) run without a subcommand: usage, exit 2. */
export function groupUsage(printer: Printer, usage: string): void {
  printer.fail(false, usageFailure(`Usage: ${usage}`, 'See --help.'));
}

/** A parent command's runner: `usage` and exit 2 when no subcommand is given. */
@Injectable()
export abstract class GroupCommand extends CommandRunner {
  protected abstract readonly usage: string;

  constructor(private readonly printer: Printer) {
    super();
  }

  async run(): Promise<void> {
    groupUsage(this.printer, this.usage);
  }
}

/** `value` when it is one of `statuses`; otherwise a usage error naming them. */
export function knownStatus<S extends string>(value: string, statuses: readonly S[]): S {
  if (!(statuses as readonly string[]).includes(value)) {
    throw usageFailure(`Unknown status "${value}"; use ${statuses.join(', ')}`);
  }
  return value as S;
}
