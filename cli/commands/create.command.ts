import { Command, Option } from 'nest-commander';
import { createSkillJob, followJob, followOutput, printOutcome } from '../job-follow';
import { usageFailure } from '../printer';
import { readSourcesForJob, type SourceFile } from '../source-files';
import { terminalText } from '../terminal-text';
import { RemoteCommand, RemoteCommandOptions } from './remote-command';

interface CreateOptions extends RemoteCommandOptions {
  autoApprove?: boolean;
  prompts?: string;
  from?: string[];
  resume?: string;
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

/**
 * `create "<task>"`: runs a skill.create job over the WebSocket and follows its events to the end
 * (cli/job-follow.ts, shared with `jobs follow`). With --auto-approve the job approves its own
 * prompts. When stdout is a terminal (no --json) the generated text streams as it is written, and
 * when stdin is one too (no --auto-approve) each prompt is asked here; otherwise each prompt is
 * shown with the command that answers it (from another terminal or the dashboard).
 * `create --resume ID` attaches to an existing job instead, as `jobs follow ID` does.
 */
@Command({
  name: 'create',
  arguments: '[task]',
  description:
    'Run a skill-creation job on a running server, answering its prompts at the terminal, and follow it to the end',
})
export class CreateCommand extends RemoteCommand<CreateOptions> {
  protected async execute([task]: string[], options: CreateOptions): Promise<void> {
    const json = options.json === true;
    const autoApprove = options.autoApprove === true;
    if (options.resume !== undefined) {
      if (task !== undefined) throw usageFailure('Give a task or --resume ID, not both');
      const jobId = await this.remote.resolveId(options, 'job', options.resume);
      const { output, midLine } = followOutput(this.printer, json, !autoApprove);
      const job = await this.remote.session(options, (client) =>
        followJob(client, jobId, output, 0),
      );
      printOutcome(this.printer, json, job, midLine());
      return;
    }
    if (!task?.trim())
      throw usageFailure('The task is empty', 'e.g. skill-fleet create "Python asyncio basics"');
    const prompts =
      options.prompts === undefined ? undefined : parsePromptSwitches(options.prompts);
    const sources: SourceFile[] =
      options.from && options.from.length > 0
        ? await readSourcesForJob(options.from, '--from', (note) =>
            process.stderr.write(`${terminalText(note)}\n`),
          )
        : [];
    const { output, midLine } = followOutput(this.printer, json, !autoApprove);
    const job = await this.remote.session(options, async (client) => {
      const created = await createSkillJob(client, { task, autoApprove, prompts, sources });
      output.progress(`Job ${created.id} created`);
      return followJob(client, created.id, output, 0);
    });
    printOutcome(this.printer, json, job, midLine());
  }

  @Option({
    flags: '--resume <jobId>',
    description:
      'Attach to an existing job instead (a unique id prefix of 6+ characters works): replay its log, follow it, answer its open prompt',
  })
  parseResume(value: string): string {
    return value;
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
