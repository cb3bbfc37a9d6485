import { Command, Option, SubCommand } from 'nest-commander';
import {
  JOB_STATUSES,
  type Job,
  type JobStatus,
  type JobStepInfo,
  type Prompt,
} from '#src/client/index';
import { assertTerminal, confirmAtTerminal } from '../confirm';
import { type CreateResult, followJob, followOutput, printOutcome } from '../job-follow';
import { answerShapeOf } from '../prompt-answers';
import { Printer, usageFailure, when } from '../printer';
import { GroupCommand, knownStatus, RemoteCommand, RemoteCommandOptions } from './remote-command';

/** The task a job was given (`input.task` of skill.create), or '' for a workflow without one. */
export const taskOf = (job: Job): string =>
  typeof job.input.task === 'string' ? job.input.task : '';

/** `text` on one line, cut to `width` characters with an ellipsis. */
export function cut(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= width) return line;
  return width <= 1 ? line.slice(0, Math.max(0, width)) : `${line.slice(0, width - 1)}…`;
}

const duration = (ms: number | null): string =>
  ms === null ? '' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;

const tokens = (step: JobStepInfo): string =>
  step.usage?.totalTokens === undefined ? '' : String(step.usage.totalTokens);

function printJob(printer: Printer, job: Job, steps: JobStepInfo[], prompt: Prompt | null): void {
  const result = (job.status === 'completed' ? job.result : null) as CreateResult | null;
  printer.fields([
    ['id', job.id],
    ['task', taskOf(job)],
    ['workflow', job.workflow],
    ['status', job.status],
    ['step', job.currentStep ?? ''],
    [
      'progress',
      `${job.progress.percent}%${job.progress.message ? ` ${job.progress.message}` : ''}`,
    ],
    ['attempts', String(job.attempts)],
    ['owner', job.ownerId],
    ['prompt', job.openPromptId ?? ''],
    ['error', job.error ? `${job.error.code}: ${job.error.message}` : ''],
    ['created', when(job.createdAt)],
    ['started', when(job.startedAt)],
    ['finished', when(job.finishedAt)],
    ...(result?.draftPath ? [['draft', result.draftPath] as [string, string]] : []),
  ]);
  printer.line();
  printer.table(
    steps,
    [
      { header: 'STEP', value: (s) => s.name },
      { header: 'STATUS', value: (s) => s.status },
      { header: 'DURATION', value: (s) => duration(s.durationMs) },
      { header: 'TOKENS', value: tokens },
      { header: 'ATTEMPT', value: (s) => String(s.attempt) },
    ],
    'No steps recorded yet.',
  );
  if (prompt) {
    printer.line();
    printer.line(`Open prompt ${prompt.id} (${prompt.kind}): ${prompt.title}`);
    printer.line(`  answer shape: ${answerShapeOf(prompt.kind)}`);
    printer.line(`  answer here:  skill-fleet jobs follow ${job.id}`);
    printer.line(`  or:           skill-fleet prompts answer ${prompt.id} --answer '<json>'`);
  }
  if (job.status === 'completed' && result?.report) {
    const { report } = result;
    printer.line();
    printer.line(
      `Result: ${report.valid ? 'valid' : 'NOT valid'}, quality ${report.qualityScore ?? '?'}, ` +
        `${report.errors?.length ?? 0} errors, ${report.warnings?.length ?? 0} warnings`,
    );
  } else if (job.status === 'completed' && job.result !== null && job.result !== undefined) {
    printer.line();
    printer.line(`Result: ${cut(JSON.stringify(job.result), 400)}`);
  }
}

/** `running,waiting` → the statuses; an unknown one is a usage error. */
function parseStatuses(value: string): JobStatus[] {
  return value.split(',').map((s) => knownStatus(s.trim(), JOB_STATUSES));
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw usageFailure('--limit must be 1-100');
  return n;
}

interface ListOptions extends RemoteCommandOptions {
  status?: string;
  limit?: string;
  cursor?: string;
}

@SubCommand({ name: 'list', description: 'List jobs, newest first' })
export class JobsListCommand extends RemoteCommand<ListOptions> {
  protected async execute(_args: string[], options: ListOptions): Promise<void> {
    const status = options.status === undefined ? undefined : parseStatuses(options.status);
    const limit = options.limit === undefined ? undefined : parseLimit(options.limit);
    const reply = await this.remote.call(options, 'jobs.list', {
      ...(status && { status }),
      ...(limit !== undefined && { limit }),
      ...(options.cursor && { cursor: options.cursor }),
    });
    this.printer.result(options.json === true, reply, () => {
      const columns = [
        { header: 'ID', value: (j: Job) => j.id },
        { header: 'WORKFLOW', value: (j: Job) => j.workflow },
        { header: 'STATUS', value: (j: Job) => j.status },
        { header: 'PROGRESS', value: (j: Job) => `${j.progress.percent}%` },
        { header: 'CREATED', value: (j: Job) => when(j.createdAt) },
      ];
      // The task goes last, cut to what the terminal has left (whole when piped).
      const used = columns.reduce(
        (sum, c) =>
          sum + 2 + Math.max(c.header.length, ...reply.jobs.map((j) => c.value(j).length)),
        0,
      );
      const width = process.stdout.isTTY
        ? Math.max(10, (process.stdout.columns || 80) - used)
        : Infinity;
      this.printer.table(
        reply.jobs,
        [...columns, { header: 'TASK', value: (j: Job) => cut(taskOf(j), width) }],
        'No jobs.',
      );
      if (reply.nextCursor) this.printer.line(`More: --cursor ${reply.nextCursor}`);
    });
  }

  @Option({
    flags: '--status <statuses>',
    description: `Only these statuses, comma-separated (${JOB_STATUSES.join(', ')})`,
  })
  parseStatus(value: string): string {
    return value;
  }

  @Option({ flags: '--limit <n>', description: 'At most this many jobs (1-100)' })
  parseLimit(value: string): string {
    return value;
  }

  @Option({ flags: '--cursor <cursor>', description: 'Continue after the previous page' })
  parseCursor(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'show',
  arguments: '<id>',
  description: 'Show one job: its task, steps (status, duration, tokens), open prompt and result',
})
export class JobsShowCommand extends RemoteCommand {
  protected async execute([id]: string[], options: RemoteCommandOptions): Promise<void> {
    const jobId = await this.remote.resolveId(options, 'job', id);
    if (options.json === true) {
      this.printer.result(true, await this.remote.call(options, 'jobs.get', { jobId }), () => {});
      return;
    }
    const { job, steps, prompt } = await this.remote.session(options, async (client) => {
      const { job } = await client.call('jobs.get', { jobId });
      const { steps } = await client.call('jobs.steps', { jobId });
      const open = job.openPromptId
        ? (await client.call('prompts.list', { jobId, status: 'open' })).prompts[0]
        : undefined;
      return { job, steps, prompt: open ?? null };
    });
    printJob(this.printer, job, steps, prompt);
  }
}

interface FollowOptions extends RemoteCommandOptions {
  fromSeq?: string;
}

@SubCommand({
  name: 'follow',
  arguments: '<id>',
  description:
    'Attach to a job: replay its log (or from --from-seq), follow it live, answer its open prompt here; exits as create does',
})
export class JobsFollowCommand extends RemoteCommand<FollowOptions> {
  protected async execute([id]: string[], options: FollowOptions): Promise<void> {
    const fromSeq = options.fromSeq === undefined ? 0 : Number(options.fromSeq);
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) {
      throw usageFailure(`--from-seq takes a whole number ≥ 0, not "${options.fromSeq}"`);
    }
    const json = options.json === true;
    const jobId = await this.remote.resolveId(options, 'job', id);
    const { output, midLine } = followOutput(this.printer, json, true);
    output.progress(`Following job ${jobId}${fromSeq ? ` after seq ${fromSeq}` : ''}`);
    const job = await this.remote.session(options, (client) =>
      followJob(client, jobId, output, fromSeq),
    );
    printOutcome(this.printer, json, job, midLine());
  }

  @Option({ flags: '--from-seq <n>', description: 'Replay only the events after this seq' })
  parseFromSeq(value: string): string {
    return value;
  }
}

interface RewindOptions extends RemoteCommandOptions {
  to?: string;
}

@SubCommand({
  name: 'rewind',
  arguments: '<id>',
  description:
    'Run a finished or waiting job again from a step, keeping the steps before it (see `jobs steps`)',
})
export class JobsRewindCommand extends RemoteCommand<RewindOptions> {
  protected async execute([id]: string[], options: RewindOptions): Promise<void> {
    if (!options.to?.trim()) throw usageFailure('--to STEP is required (see `jobs steps ID`)');
    const jobId = await this.remote.resolveId(options, 'job', id);
    const reply = await this.remote.call(options, 'jobs.rewind', { jobId, toStep: options.to });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(
        `Job ${reply.job.id} rewound to ${options.to} and ${reply.job.status}; follow it with: skill-fleet jobs follow ${reply.job.id}`,
      ),
    );
  }

  @Option({ flags: '--to <step>', description: 'The step to run again from', required: true })
  parseTo(value: string): string {
    return value;
  }
}

interface StepsOptions extends RemoteCommandOptions {
  all?: boolean;
}

@SubCommand({
  name: 'steps',
  arguments: '<id>',
  description:
    "A job's recorded steps: status, duration, tokens (--all: also those rewinds discarded)",
})
export class JobsStepsCommand extends RemoteCommand<StepsOptions> {
  protected async execute([id]: string[], options: StepsOptions): Promise<void> {
    const jobId = await this.remote.resolveId(options, 'job', id);
    const reply = await this.remote.call(options, 'jobs.steps', {
      jobId,
      ...(options.all && { includeDiscarded: true }),
    });
    this.printer.result(options.json === true, reply, () =>
      this.printer.table(
        reply.steps,
        [
          { header: 'STEP', value: (s) => s.name },
          {
            header: 'STATUS',
            value: (s) => (s.discardedAt ? `${s.status} (discarded)` : s.status),
          },
          { header: 'DURATION', value: (s) => duration(s.durationMs) },
          { header: 'TOKENS', value: tokens },
          { header: 'ATTEMPT', value: (s) => String(s.attempt) },
          { header: 'STARTED', value: (s) => when(s.startedAt) },
        ],
        'No steps recorded yet.',
      ),
    );
  }

  @Option({ flags: '--all', description: 'Also the results that rewinds discarded' })
  parseAll(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'cancel',
  arguments: '<id>',
  description: 'Cancel a queued, running or waiting job',
})
export class JobsCancelCommand extends RemoteCommand {
  protected async execute([id]: string[], options: RemoteCommandOptions): Promise<void> {
    const jobId = await this.remote.resolveId(options, 'job', id);
    const reply = await this.remote.call(options, 'jobs.cancel', { jobId });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(`Job ${reply.job.id} is ${reply.job.status}.`),
    );
  }
}

@SubCommand({ name: 'retry', arguments: '<id>', description: 'Run a failed job again' })
export class JobsRetryCommand extends RemoteCommand {
  protected async execute([id]: string[], options: RemoteCommandOptions): Promise<void> {
    const jobId = await this.remote.resolveId(options, 'job', id);
    const reply = await this.remote.call(options, 'jobs.retry', { jobId });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(
        `Job ${reply.job.id} is ${reply.job.status} (attempt ${reply.job.attempts}).`,
      ),
    );
  }
}

interface PurgeOptions extends RemoteCommandOptions {
  olderThan?: string;
  dryRun?: boolean;
  yes?: boolean;
}

/** `30d` or `30` → 30. */
function parseDays(value: string): number {
  const match = /^(\d{1,5})d?$/.exec(value.trim());
  const days = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(days) || days > 36500) {
    throw usageFailure(`--older-than takes a number of days such as 30d, not "${value}"`);
  }
  return days;
}

@SubCommand({
  name: 'purge',
  description: 'Delete finished jobs (with their events, steps and prompts) older than an age',
})
export class JobsPurgeCommand extends RemoteCommand<PurgeOptions> {
  protected async execute(_args: string[], options: PurgeOptions): Promise<void> {
    if (options.olderThan === undefined) throw usageFailure('--older-than is required, e.g. 30d');
    const olderThanDays = parseDays(options.olderThan);
    const age = `finished over ${olderThanDays} day${olderThanDays === 1 ? '' : 's'} ago`;
    if (options.dryRun) {
      const preview = await this.remote.call(options, 'jobs.purge', {
        olderThanDays,
        dryRun: true,
      });
      const would = preview.wouldPurge ?? { count: 0, jobIds: [] };
      this.printer.result(options.json === true, preview, () => {
        this.printer.line(
          `Would purge ${would.count} job${would.count === 1 ? '' : 's'} ${age} (nothing deleted).`,
        );
        for (const id of would.jobIds) this.printer.line(`  ${id}`);
        if (would.count > would.jobIds.length) {
          this.printer.line(`  … and ${would.count - would.jobIds.length} more`);
        }
      });
      return;
    }
    if (!options.yes) {
      const hint = 'Pass --yes to purge without asking, or --dry-run to see what would go.';
      assertTerminal(hint);
      const { wouldPurge } = await this.remote.call(options, 'jobs.purge', {
        olderThanDays,
        dryRun: true,
      });
      const count = wouldPurge?.count ?? 0;
      const question = `Purge ${count} job${count === 1 ? '' : 's'} ${age}? [y/N] `;
      if (!(await confirmAtTerminal(question, hint))) {
        this.printer.line('Nothing purged.');
        return;
      }
    }
    const reply = await this.longRunning(
      `Purging jobs finished more than ${olderThanDays} days ago`,
      options,
      () => this.remote.call(options, 'jobs.purge', { olderThanDays }),
    );
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(`Purged ${reply.purged} job${reply.purged === 1 ? '' : 's'}.`),
    );
  }

  @Option({
    flags: '--older-than <age>',
    description: 'Finished more than this long ago: Nd (days), e.g. 30d',
    required: true,
  })
  parseOlderThan(value: string): string {
    return value;
  }

  @Option({ flags: '--dry-run', description: 'List what would be purged; delete nothing' })
  parseDryRun(): boolean {
    return true;
  }

  @Option({ flags: '--yes', description: 'Purge without asking' })
  parseYes(): boolean {
    return true;
  }
}

@Command({
  name: 'jobs',
  description:
    'Jobs on a running server: list | show | follow | steps | rewind | cancel | retry | purge',
  subCommands: [
    JobsListCommand,
    JobsShowCommand,
    JobsFollowCommand,
    JobsStepsCommand,
    JobsRewindCommand,
    JobsCancelCommand,
    JobsRetryCommand,
    JobsPurgeCommand,
  ],
})
export class JobsCommand extends GroupCommand {
  protected readonly usage =
    'skill-fleet jobs list | show ID | follow ID | steps ID | rewind ID --to STEP | cancel ID | retry ID | purge --older-than 30d [--dry-run] [--yes]';
}
