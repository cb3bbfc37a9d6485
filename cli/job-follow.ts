import {
  ignoreUnknownEvent,
  SkillFleetError,
  type Job,
  type JobEvent,
  type JobEventName,
  type JobStatus,
  type JobSubscribed,
  type Prompt,
  type SkillFleetClient,
} from '../src/client';
import { EXIT_OK, EXIT_REFUSED } from './exit-codes';
import { CliFailure, Printer } from './printer';
import { ReadlineTerminal } from './readline-terminal';
import { remoteFailure } from './remote';
import type { SourceFile } from './source-files';
import { askAtTerminal, Interrupted, Terminal, Withdrawn } from './terminal-prompts';
import { terminalText } from './terminal-text';

/**
 * Following a job to its end, shared by `create`, `create --resume` and `jobs follow`: its events as
 * progress lines, the generated text streamed at a terminal, its prompts asked at the terminal
 * (when stdin is one) or shown with the command that answers them, and the result with create's
 * exit codes.
 */

const isFinalStatus = (status: JobStatus): boolean =>
  status === 'completed' || status === 'failed' || status === 'cancelled';

const FINAL_EVENTS: ReadonlySet<JobEventName> = new Set([
  'job.completed',
  'job.failed',
  'job.cancelled',
]);

export interface CreateResult {
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
export interface Output {
  progress(text: string): void;
  /** Writes the generated text as it streams (at a terminal); null leaves it out. */
  stream: ((text: string) => void) | null;
  /** Set when prompts are asked here; null prints the `prompts answer` command instead. */
  terminal: Terminal | null;
  /** Takes back the question being asked: its prompt closed elsewhere, or the job ended. */
  withdraw(): void;
  /** Sees each (re)subscription's snapshot and each event as it arrives (chat's status line). */
  observer?: FollowObserver;
}

export interface FollowObserver {
  subscribed(reply: JobSubscribed): void;
  event(event: JobEvent): void;
}

/**
 * Following stopped while the job goes on: Ctrl-C at its question (`promptId`), or the follower's
 * stop signal. The job is not touched; the hint says how to come back.
 */
export class StoppedFollowing extends CliFailure {
  override name = 'StoppedFollowing';

  constructor(
    readonly jobId: string,
    readonly promptId: string | null,
  ) {
    super(
      'INTERRUPTED',
      promptId
        ? `Stopped following job ${jobId}; it still waits for prompt ${promptId}`
        : `Stopped following job ${jobId}; it goes on`,
      EXIT_REFUSED,
      promptId
        ? `Answer it with: skill-fleet prompts answer ${promptId} --answer '<json>', ` +
            `or cancel the job: skill-fleet jobs cancel ${jobId}`
        : `Follow it again with: skill-fleet jobs follow ${jobId}`,
    );
  }
}

/** What `create` and `chat` send to start a skill.create job. */
export interface SkillJobRequest {
  task: string;
  autoApprove: boolean;
  prompts?: Record<string, boolean>;
  sources: SourceFile[];
}

/** Creates a skill.create job; resolves with the job as created. */
export async function createSkillJob(
  client: SkillFleetClient,
  { task, autoApprove, prompts, sources }: SkillJobRequest,
): Promise<Job> {
  const { job } = await client.call('jobs.create', {
    workflow: 'skill.create',
    input: {
      task,
      options: { autoApprove, ...(prompts && { prompts }) },
      ...(sources.length > 0 && { sources }),
    },
  });
  return job;
}

/** A terminal follower's output, and whether its last write left the cursor mid-line. */
export interface FollowOutput {
  output: Output;
  midLine(): boolean;
}

/**
 * Where a follow writes. When stdout is a terminal (no --json) the generated text streams as it is
 * written, and when stdin is one too (and `ask`) each prompt is asked here; with --json, progress
 * goes to stderr and stdout carries only the final document.
 */
export function followOutput(printer: Printer, json: boolean, ask: boolean): FollowOutput {
  const streaming = !json && process.stdout.isTTY;
  const asking = streaming && ask && process.stdin.isTTY;
  let midLine = false;
  const readline = asking ? new ReadlineTerminal() : null;
  const write = (text: string): void => {
    process.stdout.write(terminalText(text));
    midLine = !text.endsWith('\n');
  };
  const output: Output = {
    progress: (text) => {
      if (json) process.stderr.write(`${terminalText(text)}\n`);
      else printer.line(`${midLine ? '\n' : ''}${text}`);
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
  return { output, midLine: () => midLine };
}

/**
 * Follows job `jobId` from the event after `afterSeq` (0: its whole log) until it ends, asking its
 * open prompts through `output`; resolves with the job as it ended. Only a final event at or after
 * the log's end when subscribing ends it: the outcome of a run that a rewind followed does not.
 * `stop` ends the follow early (StoppedFollowing) and leaves the job alone. The subscription is
 * dropped at the end either way, so one client can follow the same job again later.
 */
export async function followJob(
  client: SkillFleetClient,
  jobId: string,
  output: Output,
  afterSeq = 0,
  stop?: AbortSignal,
): Promise<Job> {
  const { stream, terminal, observer } = output;
  let subscription: { unsubscribe(): Promise<void> } | undefined;
  const stopped = new Promise<never>((_, reject) => {
    const onStop = () => reject(new StoppedFollowing(jobId, null));
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
  });
  stopped.catch(() => undefined);
  const followed = new Promise<void>((resolve, reject) => {
    // Prompts are asked one at a time, in the order they open.
    let asking = Promise.resolve();
    const asked: AskedNow = { promptId: null };
    let endSeq: number | undefined;
    const finish = () => {
      output.withdraw();
      resolve();
    };
    subscription = client.subscribeJob(
      jobId,
      (event) => {
        observer?.event(event);
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
        const line = describe(event, jobId);
        if (line) output.progress(line);
        // A prompt answered elsewhere (dashboard, another terminal) is no longer asked here.
        if (event.event === 'prompt.answered' && event.payload.promptId === asked.promptId) {
          output.withdraw();
        }
        if (FINAL_EVENTS.has(event.event)) {
          if (endSeq === undefined || event.seq === undefined || event.seq >= endSeq) finish();
        }
      },
      {
        afterSeq,
        onError: reject,
        onSubscribed: (reply) => {
          observer?.subscribed(reply);
          if (endSeq !== undefined) return;
          endSeq = reply.lastSeq;
          // Already over, and nothing left to replay from `afterSeq`.
          if (isFinalStatus(reply.job.status) && reply.lastSeq <= afterSeq) finish();
        },
      },
    );
  });
  try {
    await Promise.race([followed, stopped]);
  } finally {
    output.withdraw();
    void subscription?.unsubscribe();
  }
  return (await client.call('jobs.get', { jobId })).job;
}

/** Prints how a followed job ended (or the document with --json) and sets create's exit code. */
export function printOutcome(printer: Printer, json: boolean, job: Job, midLine: boolean): void {
  describeOutcome(printer, json, job, midLine);
  process.exitCode = job.status === 'completed' ? EXIT_OK : EXIT_REFUSED;
}

/** Prints how a followed job ended: the draft and its report, or the final status and error. */
export function describeOutcome(printer: Printer, json: boolean, job: Job, midLine: boolean): void {
  const result = (job.status === 'completed' ? job.result : null) as CreateResult | null;
  const document = {
    job,
    ...(result?.skillId && {
      skill: { id: result.skillId, name: result.name, draftPath: result.draftPath },
    }),
    ...(result?.report !== undefined && { report: result.report }),
  };
  printer.result(json, document, () => {
    if (midLine) printer.line();
    if (job.status === 'completed' && result) {
      printer.line(`Draft ${result.name ?? ''} written to ${result.draftPath ?? '?'}.`);
      const report = result.report;
      if (report) {
        printer.line(
          `Report: ${report.valid ? 'valid' : 'NOT valid'}, quality ${report.qualityScore ?? '?'}, ` +
            `${report.errors?.length ?? 0} errors, ${report.warnings?.length ?? 0} warnings`,
        );
        for (const w of report.warnings ?? []) printer.line(`  warning: ${w.message}`);
      }
      const scaffold = (report?.warnings ?? []).some(
        (w) => (w as { code?: string }).code === 'OFFLINE_SCAFFOLD',
      );
      printer.line(
        scaffold
          ? `It is a scaffold: edit ${result.draftPath ?? 'it'}/SKILL.md, or promote it as it is with: skill-fleet skills promote ${job.id} --allow-scaffold`
          : `Promote it with: skill-fleet skills promote ${job.id}`,
      );
    } else {
      const why = job.error ? `: ${job.error.code}: ${job.error.message}` : '';
      printer.line(`Job ${job.id} ${job.status}${why}`);
    }
  });
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
      throw new StoppedFollowing(prompt.jobId, prompt.id);
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

export function describe(event: JobEvent, jobId: string): string | null {
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
