import { Command, Option } from 'nest-commander';
import type { EventFrame, Job, SkillFleetClient } from '../../src/client';
import { EXIT_OK, EXIT_REFUSED } from '../exit-codes';
import { usageFailure } from '../printer';
import { RemoteCommand, RemoteCommandOptions } from './remote-command';

interface CreateOptions extends RemoteCommandOptions {
  autoApprove?: boolean;
}

const FINAL_EVENTS = new Set(['job.completed', 'job.failed', 'job.cancelled']);

interface CreateResult {
  skillId?: string;
  name?: string;
  draftPath?: string;
  report?: unknown;
}

/**
 * `create "<task>"`: runs a skill.create job over the WebSocket and follows its events to the end.
 * With --auto-approve the job approves its own prompts; without it, each prompt is shown with the
 * command that answers it (from another terminal or the dashboard).
 */
@Command({
  name: 'create',
  arguments: '<task>',
  description: 'Run a skill-creation job on a running server and follow it to the end',
})
export class CreateCommand extends RemoteCommand<CreateOptions> {
  protected async execute([task]: string[], options: CreateOptions): Promise<void> {
    if (!task.trim())
      throw usageFailure('The task is empty', 'e.g. skill-fleet create "Python asyncio basics"');
    const json = options.json === true;
    // With --json, stdout carries only the final document; progress goes to stderr.
    const progress = (text: string): void => {
      if (json) process.stderr.write(`${text}\n`);
      else this.printer.line(text);
    };
    const job = await this.remote.session(options, (client) =>
      this.follow(client, task, options.autoApprove === true, progress),
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
      if (job.status === 'completed' && result) {
        this.printer.line(`Draft ${result.name ?? ''} written to ${result.draftPath ?? '?'}.`);
        this.printer.line(`Promote it with: skill-fleet skills promote ${job.id}`);
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
    autoApprove: boolean,
    progress: (text: string) => void,
  ): Promise<Job> {
    const { job } = await client.call('jobs.create', {
      workflow: 'skill.create',
      input: { task, options: { autoApprove } },
    });
    progress(`Job ${job.id} created`);
    await new Promise<void>((resolve, reject) => {
      client.subscribeJob(
        job.id,
        (event) => {
          const line = describe(event, job.id);
          if (line) progress(line);
          if (FINAL_EVENTS.has(event.event)) resolve();
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
}

function describe(event: EventFrame, jobId: string): string | null {
  const p = event.payload;
  switch (event.event) {
    case 'job.status':
      return `status: ${String(p.status)}`;
    case 'job.progress':
      return `progress: ${String(p.percent)}%${p.message ? ` ${String(p.message)}` : ''}`;
    case 'step.started':
      return `step ${String(p.step)} started`;
    case 'step.failed':
      return `step ${String(p.step)} failed${p.willRetry ? ' (will retry)' : ''}`;
    case 'prompt.opened': {
      const prompt = p.prompt as { id: string; kind: string; title: string };
      return (
        `prompt ${prompt.id} (${prompt.kind}): ${prompt.title}\n` +
        `  answer it with: skill-fleet prompts answer ${prompt.id} --answer '<json>' (job ${jobId})`
      );
    }
    case 'prompt.answered':
      return `prompt ${String(p.promptId)} answered`;
    case 'job.completed':
      return 'completed';
    case 'job.failed':
      return `failed: ${JSON.stringify(p.error)}`;
    case 'job.cancelled':
      return `cancelled${p.reason ? `: ${String(p.reason)}` : ''}`;
    default:
      return null;
  }
}
