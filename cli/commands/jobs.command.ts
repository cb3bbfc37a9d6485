import { Command, Option, SubCommand } from 'nest-commander';
import { JOB_STATUSES, type Job, type JobStatus } from '../../src/client';
import { Printer, usageFailure, when } from '../printer';
import { GroupCommand, knownStatus, RemoteCommand, RemoteCommandOptions } from './remote-command';

function printJob(printer: Printer, job: Job): void {
  printer.fields([
    ['id', job.id],
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
  ]);
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
      this.printer.table(
        reply.jobs,
        [
          { header: 'ID', value: (j) => j.id },
          { header: 'WORKFLOW', value: (j) => j.workflow },
          { header: 'STATUS', value: (j) => j.status },
          { header: 'PROGRESS', value: (j) => `${j.progress.percent}%` },
          { header: 'CREATED', value: (j) => when(j.createdAt) },
        ],
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

@SubCommand({ name: 'show', arguments: '<id>', description: 'Show one job' })
export class JobsShowCommand extends RemoteCommand {
  protected async execute([jobId]: string[], options: RemoteCommandOptions): Promise<void> {
    const reply = await this.remote.call(options, 'jobs.get', { jobId });
    this.printer.result(options.json === true, reply, () => printJob(this.printer, reply.job));
  }
}

@SubCommand({
  name: 'cancel',
  arguments: '<id>',
  description: 'Cancel a queued, running or waiting job',
})
export class JobsCancelCommand extends RemoteCommand {
  protected async execute([jobId]: string[], options: RemoteCommandOptions): Promise<void> {
    const reply = await this.remote.call(options, 'jobs.cancel', { jobId });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(`Job ${reply.job.id} is ${reply.job.status}.`),
    );
  }
}

@SubCommand({ name: 'retry', arguments: '<id>', description: 'Run a failed job again' })
export class JobsRetryCommand extends RemoteCommand {
  protected async execute([jobId]: string[], options: RemoteCommandOptions): Promise<void> {
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
}

@Command({
  name: 'jobs',
  description: 'Jobs on a running server: list | show | cancel | retry | purge',
  subCommands: [
    JobsListCommand,
    JobsShowCommand,
    JobsCancelCommand,
    JobsRetryCommand,
    JobsPurgeCommand,
  ],
})
export class JobsCommand extends GroupCommand {
  protected readonly usage =
    'skill-fleet jobs list | show ID | cancel ID | retry ID | purge --older-than 30d';
}
