import { Command, Option } from 'nest-commander';
import {
  ignoreUnknownEvent,
  SkillFleetError,
  type Job,
  type JobEvent,
  type JobEventName,
  type Prompt,
  type SkillFleetClient,
} from '../../src/client';
import { EXIT_OK, EXIT_REFUSED } from '../exit-codes';
import { CliFailure, usageFailure } from '../printer';
import { ReadlineTerminal } from '../readline-terminal';
import { remoteFailure } from '../remote';
import { askAtTerminal, Interrupted, Terminal, Withdrawn } from '../terminal-prompts';
import { RemoteCommand, RemoteCommandOptions } from './remote-command';
import { terminalText } from '../terminal-text';
import { readSourceFiles, SourceFilesError, type SourceFile } from '../source-files';

interface CreateOptions extends RemoteCommandOptions {
  autoApprove?: boolean;
  prompts?: string;
  from?: string[];
}

export const PROMPT_KINDS = ['clarify', 'structure_fix', 'confirm', 'preview', 'validate'] as const;
type PromptSwitches = Record<(typeof PROMPT_KINDS)[number], boolean>;

/** `--prompts clarify,preview` → those on and the rest off; `all` and `none` as said. */
export function parsePromptSwitches(value: string): PromptSwitches {
  const given = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const all = given.length === 1 && given[0] === 'all';
  const none = given.length === 1 && given[0] === 'none';
  if (!all && !none) {
    for (const kind of given) {
      if (!(PROMPT_KINDS as readonly string[]).includes(kind)) {
        throw usageFailure(
          `Unknown prompt "${kind}" in --prompts; use all, none or any of ${PROMPT_KINDS.join(', ')}`,
        );
      }
    }
  }
  return Object.fromEntries(
    PROMPT_KINDS.map((kind) => [kind, all || (!none && given.includes(kind))]),
  ) as PromptSwitches;
}

const FINAL_EVENTS: ReadonlySet<JobEventName> = new Set([
  'job.completed',
  'job.failed',
  'job.cancelled',
]);

interface CreateResult {
  skillId?: string;
  name?: string;
  draftPath?: string;
  report?: {
    valid?: boolean;
    qualityScore?: number;
    errors?: { message: string }[];
    warnings?: { message: string }[];
  };
}

/** Where `follow` writes: progress lines, and at a terminal the streamed text and the prompts. */
interface Output {
  progress(text: string): void;
  /** Writes the generated text as it streams (at a terminal); null leaves it out. */
  stream: ((text: string) => void) | null;
  /** Set when prompts are asked here; null prints the `prompts answer` command instead. */
  terminal: Terminal | null;
  /** Takes back the question being asked: its prompt closed elsewhere, or the job ended. */
  withdraw(): void;
}

/**
 * `create "<task>"`: runs a skill.create job over the WebSocket and follows its events to the end.
 * With --auto-approve the job approves its own prompts. When stdout is a terminal (no --json) the
 * generated text streams as it is written, and when stdin is one too (no --auto-approve) each prompt
 * is asked here; otherwise each prompt is shown with the command that answers it (from another
 * terminal or the dashboard).
 */
@Command({
  name: 'create',
  arguments: '<task>',
  description:
    'Run a skill-creation job on a running server, answering its prompts at the terminal, and follow it to the end',
})
export class CreateCommand extends RemoteCommand<CreateOptions> {
  protected async execute([task]: string[], options: CreateOptions): Promise<void> {
    if (!task.trim())
      throw usageFailure('The task is empty', 'e.g. skill-fleet create "Python asyncio basics"');
    const json = options.json === true;
    const autoApprove = options.autoApprove === true;
    const prompts =
      options.prompts === undefined ? undefined : parsePromptSwitches(options.prompts);
    let sources: SourceFile[] = [];
    if (options.from && options.from.length > 0) {
      try {
        const read = await readSourceFiles(options.from);
        sources = read.sources;
        for (const note of read.notes) process.stderr.write(`${terminalText(note)}\n`);
      } catch (error) {
        if (error instanceof SourceFilesError) throw usageFailure(error.message);
        throw error;
      }
      if (sources.length === 0) {
        throw usageFailure('--from found no Markdown, text or code file to send');
      }
    }
    const streaming = !json && process.stdout.isTTY;
    const asking = streaming && !autoApprove && process.stdin.isTTY;
    let midLine = false;
    const readline = asking ? new ReadlineTerminal() : null;
    const write = (text: string): void => {
      process.stdout.write(terminalText(text));
      midLine = !text.endsWith('\n');
    };
    const output: Output = {
      // With --json, stdout carries only the final document; progress goes to stderr.
      progress: (text) => {
        if (json) process.stderr.write(`${terminalText(text)}\n`);
        else this.printer.line(`${midLine ? '\n' : ''}${text}`);
        midLine = false;
      },
      stream: streaming ? write : null,
      terminal: readline && {
        write,
        line: (question) => readline.line(question),
        edit: (content) => readline.edit(content),
      },
      withdraw: () => readline?.withdraw(),
    };
    const job = await this.remote.session(options, (client) =>
      this.follow(client, task, { autoApprove, ...(prompts && { prompts }) }, sources, output),
    );
    const result = (job.status === 'completed' ? job.result : null) as CreateResult | null;
    const document = {
      job,
      ...(result?.skillId && {
        skill: { id: result.skillId, name: result.name, draftPath: result.draftPath },
      }),
      ...(result?.report !== undefined && { report: result.report }),
    };
    this.printer.result(json, document, () => {
      if (midLine) this.printer.line();
      if (job.status === 'completed' && result) {
        this.printer.line(`Draft ${result.name ?? ''} written to ${result.draftPath ?? '?'}.`);
        const report = result.report;
        if (report) {
          this.printer.line(
            `Report: ${report.valid ? 'valid' : 'NOT valid'}, quality ${report.qualityScore ?? '?'}, ` +
              `${report.errors?.length ?? 0} errors, ${report.warnings?.length ?? 0} warnings`,
          );
          for (const w of report.warnings ?? []) this.printer.line(`  warning: ${w.message}`);
        }
        const scaffold = (report?.warnings ?? []).some(
          (w) => (w as { code?: string }).code === 'OFFLINE_SCAFFOLD',
        );
        this.printer.line(
          scaffold
            ? `It is a scaffold: edit ${result.draftPath ?? 'it'}/SKILL.md, or promote it as it is with: skill-fleet skills promote ${job.id} --allow-scaffold`
            : `Promote it with: skill-fleet skills promote ${job.id}`,
        );
      } else {
        const why = job.error ? `: ${job.error.code}: ${job.error.message}` : '';
        this.printer.line(`Job ${job.id} ${job.status}${why}`);
      }
    });
    process.exitCode = job.status === 'completed' ? EXIT_OK : EXIT_REFUSED;
  }

  private async follow(
    client: SkillFleetClient,
    task: string,
    jobOptions: { autoApprove: boolean; prompts?: PromptSwitches },
    sources: SourceFile[],
    output: Output,
  ): Promise<Job> {
    const { job } = await client.call('jobs.create', {
      workflow: 'skill.create',
      input: { task, options: jobOptions, ...(sources.length > 0 && { sources }) },
    });
    output.progress(`Job ${job.id} created`);
    const { stream, terminal } = output;
    await new Promise<void>((resolve, reject) => {
      // Prompts are asked one at a time, in the order they open.
      let asking = Promise.resolve();
      const asked: AskedNow = { promptId: null };
      client.subscribeJob(
        job.id,
        (event) => {
          if (event.event === 'token') {
            stream?.(event.payload.text);
            return;
          }
          if (terminal && event.event === 'prompt.opened') {
            const { prompt } = event.payload;
            asking = asking
              .then(() => answerHere(client, prompt, terminal, asked))
              .catch((error: unknown) => reject(error));
            return;
          }
          const line = describe(event, job.id);
          if (line) output.progress(line);
          // A prompt answered elsewhere (dashboard, another terminal) is no longer asked here.
          if (event.event === 'prompt.answered' && event.payload.promptId === asked.promptId) {
            output.withdraw();
          }
          if (FINAL_EVENTS.has(event.event)) {
            output.withdraw();
            resolve();
          }
        },
        { afterSeq: 0, onError: reject },
      );
    });
    return (await client.call('jobs.get', { jobId: job.id })).job;
  }

  @Option({ flags: '--auto-approve', description: 'Approve every prompt without asking' })
  parseAutoApprove(): boolean {
    return true;
  }

  @Option({
    flags: '--from <paths...>',
    description:
      'Ground the skill in your own files or folders of Markdown, text or code (read here and sent as text; binaries are skipped)',
  })
  parseFrom(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }

  @Option({
    flags: '--prompts <kinds>',
    description: `Prompts to ask: all, none or a comma-separated list of ${PROMPT_KINDS.join(', ')} (default: clarify,structure_fix)`,
  })
  parsePrompts(value: string): string {
    return value;
  }
}

/** The prompt whose question is on the terminal now, if any. */
interface AskedNow {
  promptId: string | null;
}

/**
 * Asks a prompt here and sends the answer; asked again when the server refuses the answer's shape.
 * A prompt already closed (a replayed event, or answered elsewhere) is left alone.
 */
async function answerHere(
  client: SkillFleetClient,
  prompt: Prompt,
  term: Terminal,
  asked: AskedNow,
): Promise<void> {
  const open = await client.call('prompts.list', { jobId: prompt.jobId, status: 'open' });
  if (!open.prompts.some((p) => p.id === prompt.id)) return;
  for (;;) {
    let answer: Record<string, unknown>;
    asked.promptId = prompt.id;
    try {
      answer = await askAtTerminal(prompt, term);
    } catch (error) {
      if (error instanceof Withdrawn) {
        term.write('This prompt was closed elsewhere.\n');
        return;
      }
      if (!(error instanceof Interrupted)) throw error;
      throw new CliFailure(
        'INTERRUPTED',
        `Stopped following job ${prompt.jobId}; it still waits for prompt ${prompt.id}`,
        EXIT_REFUSED,
        `Answer it with: skill-fleet prompts answer ${prompt.id} --answer '<json>', ` +
          `or cancel the job: skill-fleet jobs cancel ${prompt.jobId}`,
      );
    } finally {
      asked.promptId = null;
    }
    try {
      await client.call('prompts.answer', { promptId: prompt.id, answer });
      return;
    } catch (error) {
      if (!(error instanceof SkillFleetError)) throw error;
      if (error.code === 'CONFLICT') {
        term.write('This prompt was answered elsewhere first.\n');
        return;
      }
      if (error.code !== 'VALIDATION_FAILED') throw error;
      term.write(`The server refused that answer: ${remoteFailure(error, '').message}\n`);
    }
  }
}

function describe(event: JobEvent, jobId: string): string | null {
  switch (event.event) {
    case 'job.status':
      return `status: ${event.payload.status}`;
    case 'job.progress': {
      const { percent, message } = event.payload;
      return `progress: ${percent}%${message ? ` ${message}` : ''}`;
    }
    case 'step.started':
      return `step ${event.payload.step} started`;
    case 'step.failed':
      return `step ${event.payload.step} failed${event.payload.willRetry ? ' (will retry)' : ''}`;
    case 'prompt.opened': {
      const { prompt } = event.payload;
      return (
        `prompt ${prompt.id} (${prompt.kind}): ${prompt.title}\n` +
        `  answer it with: skill-fleet prompts answer ${prompt.id} --answer '<json>' (job ${jobId})`
      );
    }
    case 'prompt.answered':
      return `prompt ${event.payload.promptId} answered`;
    case 'job.completed':
      return 'completed';
    case 'job.failed':
      return `failed: ${JSON.stringify(event.payload.error)}`;
    case 'job.cancelled':
      return `cancelled${event.payload.reason ? `: ${event.payload.reason}` : ''}`;
    case 'job.rewound':
      return `rewound to step ${event.payload.toStep} (discarded: ${event.payload.discardedSteps.join(', ')})`;
    case 'job.created':
    case 'step.completed':
    case 'prompt.expired':
    case 'prompt.cancelled':
    case 'job.log':
    case 'token':
      return null;
    default:
      ignoreUnknownEvent(event);
      return null;
  }
}
