import { Command, Option, SubCommand } from 'nest-commander';
import { DRAFT_STATUSES, type Draft, type DraftStatus, type Methods } from '#src/client/index';
import { allPages } from '../all-pages';
import { EXIT_REFUSED } from '../exit-codes';
import { CliFailure, when } from '../printer';
import {
  ConfirmedDeleteCommand,
  DeleteOptions,
  GroupCommand,
  knownStatus,
  RemoteCommand,
  RemoteCommandOptions,
} from './remote-command';

const promotedTo = (d: Draft): string =>
  d.promoted ? `${d.promoted.skillId} v${d.promoted.version}` : '-';

interface ListOptions extends RemoteCommandOptions {
  status?: string;
}

/** Every page of drafts.list: the CLI lists and looks up drafts among all of them. */
async function allDrafts(
  call: (payload: Methods['drafts.list']['payload']) => Promise<Methods['drafts.list']['reply']>,
  status?: DraftStatus,
): Promise<Draft[]> {
  return allPages(async (cursor) => {
    const page = await call({ ...(status && { status }), ...(cursor && { cursor }) });
    return { items: page.drafts, nextCursor: page.nextCursor };
  });
}

@SubCommand({ name: 'list', description: 'List drafts (your own; an admin sees all)' })
export class DraftsListCommand extends RemoteCommand<ListOptions> {
  protected async execute(_args: string[], options: ListOptions): Promise<void> {
    const status = options.status ? knownStatus(options.status, DRAFT_STATUSES) : undefined;
    const reply = {
      drafts: await allDrafts(
        (payload) => this.remote.call(options, 'drafts.list', payload),
        status,
      ),
    };
    this.printer.result(options.json === true, reply, () =>
      this.printer.table(
        reply.drafts,
        [
          { header: 'JOB', value: (d) => d.jobId },
          { header: 'NAME', value: (d) => d.name },
          { header: 'CATEGORY', value: (d) => d.category },
          { header: 'STATUS', value: (d) => d.status },
          { header: 'PROMOTED TO', value: promotedTo },
          { header: 'OWNER', value: (d) => d.ownerId ?? '-' },
          { header: 'CREATED', value: (d) => when(d.createdAt) },
        ],
        'No drafts.',
      ),
    );
  }

  @Option({ flags: '--status <status>', description: 'open, promoted or discarded' })
  parseStatus(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'show', arguments: '<jobId>', description: 'Show one draft and its SKILL.md' })
export class DraftsShowCommand extends RemoteCommand {
  protected async execute([id]: string[], options: RemoteCommandOptions): Promise<void> {
    const jobId = await this.remote.resolveId(options, 'draft', id);
    const drafts = await allDrafts((payload) => this.remote.call(options, 'drafts.list', payload));
    const draft = drafts.find((d) => d.jobId === jobId);
    if (!draft) {
      // as the server answers for a draft the caller may not see
      throw new CliFailure('NOT_FOUND', `Draft of job ${jobId} not found`, EXIT_REFUSED);
    }
    const { content } = await this.remote.call(options, 'skills.get', { skillId: draft.skillId });
    const document = { draft, content };
    this.printer.result(options.json === true, document, () => {
      this.printer.fields([
        ['job', draft.jobId],
        ['name', draft.name],
        ['category', draft.category],
        ['status', draft.status],
        ['promoted to', promotedTo(draft)],
        ['owner', draft.ownerId ?? '-'],
        ['created', when(draft.createdAt)],
      ]);
      this.printer.line();
      this.printer.line(content.replace(/\n$/, ''));
    });
  }
}

@SubCommand({
  name: 'delete',
  arguments: '<jobId>',
  description: "Delete a job's draft folder and record (asks unless --yes)",
})
export class DraftsDeleteCommand extends ConfirmedDeleteCommand {
  protected override readonly idKind = 'draft' as const;

  protected question(jobId: string): string {
    return `Delete the draft of job ${jobId}? [y/N] `;
  }

  protected remove(jobId: string, options: DeleteOptions): Promise<object> {
    return this.remote.call(options, 'drafts.delete', { jobId });
  }

  protected done(jobId: string): string {
    return `Deleted the draft of job ${jobId}.`;
  }
}

@Command({
  name: 'drafts',
  description: 'Drafts on a running server: list | show | delete',
  subCommands: [DraftsListCommand, DraftsShowCommand, DraftsDeleteCommand],
})
export class DraftsCommand extends GroupCommand {
  protected readonly usage =
    'skill-fleet drafts list [--status open|promoted|discarded] | show JOB_ID | delete JOB_ID [--yes]';
}
