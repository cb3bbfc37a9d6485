import * as path from 'node:path';
import { Command, Option, SubCommand } from 'nest-commander';
import { SKILL_STATUSES, type Skill } from '#src/client/index';
import { allPages } from '../all-pages';
import { usageFailure, when } from '../printer';
import {
  ConfirmedDeleteCommand,
  DeleteOptions,
  GroupCommand,
  knownStatus,
  RemoteCommand,
  RemoteCommandOptions,
} from './remote-command';

interface ListOptions extends RemoteCommandOptions {
  query?: string;
  category?: string;
  status?: string;
}

@SubCommand({ name: 'list', description: 'List indexed skills' })
export class SkillsListCommand extends RemoteCommand<ListOptions> {
  protected async execute(_args: string[], options: ListOptions): Promise<void> {
    const status = options.status ? knownStatus(options.status, SKILL_STATUSES) : undefined;
    // Every page: the table and --json show the whole list (pages are at most 1 MiB each).
    const skills = await allPages(async (cursor) => {
      const page = await this.remote.call(options, 'skills.list', {
        ...(options.query && { query: options.query }),
        ...(options.category && { category: options.category }),
        ...(status && { status }),
        ...(cursor && { cursor }),
      });
      return { items: page.skills, nextCursor: page.nextCursor };
    });
    const reply = { skills };
    this.printer.result(options.json === true, reply, () =>
      this.printer.table(
        reply.skills,
        [
          { header: 'ID', value: (s) => s.id },
          { header: 'NAME', value: (s) => s.name },
          { header: 'CATEGORY', value: (s) => s.category },
          { header: 'STATUS', value: (s) => s.status },
          { header: 'VERSION', value: (s) => libraryVersion(s) },
          { header: 'OWNER', value: (s) => s.ownerId ?? '-' },
          { header: 'VALID', value: (s) => (s.validation.valid ? 'yes' : 'no') },
        ],
        'No skills.',
      ),
    );
  }

  @Option({ flags: '--query <text>', description: 'Only skills matching this text' })
  parseQuery(value: string): string {
    return value;
  }

  @Option({ flags: '--category <category>', description: 'Only this category' })
  parseCategory(value: string): string {
    return value;
  }

  @Option({ flags: '--status <status>', description: 'active, draft or deprecated' })
  parseStatus(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'show', arguments: '<id>', description: 'Show one skill and its SKILL.md' })
export class SkillsShowCommand extends RemoteCommand {
  protected async execute([skillId]: string[], options: RemoteCommandOptions): Promise<void> {
    const reply = await this.remote.call(options, 'skills.get', { skillId });
    this.printer.result(options.json === true, reply, () => {
      const { skill } = reply;
      this.printer.fields([
        ['id', skill.id],
        ['name', skill.name],
        ['category', skill.category],
        ['status', skill.status],
        ['version', libraryVersion(skill)],
        ['declared version', skill.declaredVersion],
        ['owner', skill.ownerId ?? '-'],
        ['tags', skill.tags.join(', ')],
        ['path', skill.path],
        ['valid', skill.validation.valid ? 'yes' : 'no'],
        ['updated', when(skill.updatedAt)],
      ]);
      this.printer.line();
      this.printer.line(reply.content.replace(/\n$/, ''));
    });
  }
}

interface PromoteOptions extends RemoteCommandOptions {
  overwrite?: boolean;
  allowScaffold?: boolean;
}

@SubCommand({
  name: 'promote',
  arguments: '<jobId>',
  description: "Promote a finished job's draft into the taxonomy",
})
export class SkillsPromoteCommand extends RemoteCommand<PromoteOptions> {
  protected async execute([id]: string[], options: PromoteOptions): Promise<void> {
    const jobId = await this.remote.resolveId(options, 'draft', id);
    const reply = await this.remote.call(options, 'skills.promote', {
      jobId,
      ...(options.overwrite && { overwrite: true }),
      ...(options.allowScaffold && { allowScaffold: true }),
    });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(`Promoted to ${reply.skill.path} (skill ${reply.skill.id}).`),
    );
  }

  @Option({
    flags: '--allow-scaffold',
    description:
      'Promote an offline scaffold nobody has edited (refused with OFFLINE_SCAFFOLD otherwise)',
  })
  parseAllowScaffold(): boolean {
    return true;
  }

  @Option({ flags: '--overwrite', description: 'Replace a skill already at that path' })
  parseOverwrite(): boolean {
    return true;
  }
}

interface ImportOptions extends RemoteCommandOptions {
  category?: string;
  overwrite?: boolean;
}

@SubCommand({
  name: 'import',
  arguments: '<dir>',
  description:
    'Import skills from DIR/<category>/<name>/SKILL.md or DIR/<name>/SKILL.md (a path on the server machine)',
})
export class SkillsImportCommand extends RemoteCommand<ImportOptions> {
  protected async execute([dir]: string[], options: ImportOptions): Promise<void> {
    const from = path.resolve(dir);
    const reply = await this.longRunning(`Importing skills from ${from}`, options, () =>
      this.remote.call(options, 'skills.import', {
        path: from,
        ...(options.category && { category: options.category }),
        ...(options.overwrite && { overwrite: true }),
      }),
    );
    this.printer.result(options.json === true, reply, () => {
      this.printer.line(
        `Imported ${reply.imported} skill${reply.imported === 1 ? '' : 's'}; ${reply.rejected.length} rejected.`,
      );
      for (const r of reply.rejected) {
        this.printer.line(`  ${r.path}: ${r.errors.map((e) => e.message).join('; ')}`);
      }
    });
  }

  @Option({
    flags: '--category <category>',
    description:
      'Category of skills in the flat layout (default: metadata.category, else imported)',
  })
  parseCategory(value: string): string {
    return value;
  }

  @Option({
    flags: '--overwrite',
    description: 'Make a new version of skills that exist (their owner or an admin only)',
  })
  parseOverwrite(): boolean {
    return true;
  }
}

@SubCommand({ name: 'history', arguments: '<id>', description: "List a skill's versions" })
export class SkillsHistoryCommand extends RemoteCommand {
  protected async execute([skillId]: string[], options: RemoteCommandOptions): Promise<void> {
    // Every page: the history is short, and the table and --json show all of it.
    const versions = await allPages(async (cursor) => {
      const page = await this.remote.call(options, 'skills.history', {
        skillId,
        ...(cursor && { cursor }),
      });
      return { items: page.versions, nextCursor: page.nextCursor };
    });
    const reply = { versions };
    this.printer.result(options.json === true, reply, () =>
      this.printer.table(
        reply.versions,
        [
          { header: 'VERSION', value: (v) => String(v.version) },
          {
            header: 'ACTION',
            value: (v) => (v.restoredFrom ? `rollback to ${v.restoredFrom}` : v.action),
          },
          { header: 'BY', value: (v) => v.by },
          { header: 'CREATED', value: (v) => when(v.createdAt) },
          { header: 'JOB', value: (v) => v.jobId ?? '-' },
          { header: 'VALID', value: (v) => (v.validation.valid ? 'yes' : 'no') },
          { header: 'CHECKSUM', value: (v) => v.checksum.slice(0, 12) },
        ],
        'No versions recorded (the skill was not written through the library).',
      ),
    );
  }
}

interface RollbackOptions extends RemoteCommandOptions {
  to?: number;
}

@SubCommand({
  name: 'rollback',
  arguments: '<id>',
  description: 'Make a new version with the content of version N (--to N; owner or admin)',
})
export class SkillsRollbackCommand extends RemoteCommand<RollbackOptions> {
  protected async execute([skillId]: string[], options: RollbackOptions): Promise<void> {
    if (options.to === undefined || !Number.isInteger(options.to) || options.to < 1) {
      throw usageFailure(
        'skills rollback needs --to N, the version to restore (1, 2, …)',
        'See skills history ID.',
      );
    }
    const reply = await this.remote.call(options, 'skills.rollback', {
      skillId,
      version: options.to,
    });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(
        `Rolled ${reply.skill.id} back to the content of version ${options.to}: now version ${reply.skill.version}.`,
      ),
    );
  }

  @Option({ flags: '--to <version>', description: 'The version to restore' })
  parseTo(value: string): number {
    return /^\d+$/.test(value) ? Number(value) : Number.NaN;
  }
}

@SubCommand({
  name: 'delete',
  arguments: '<id>',
  description: 'Delete a skill; its history stays (owner or admin; asks unless --yes)',
})
export class SkillsDeleteCommand extends ConfirmedDeleteCommand {
  protected question(skillId: string): string {
    return `Delete skill ${skillId}? [y/N] `;
  }

  protected remove(skillId: string, options: DeleteOptions): Promise<object> {
    return this.remote.call(options, 'skills.delete', { skillId });
  }

  protected done(skillId: string): string {
    return `Deleted ${skillId}; its history is kept.`;
  }
}

/** The library version as shown: `-` for a draft or a skill the library never wrote. */
const libraryVersion = (skill: Skill): string =>
  skill.version === null ? '-' : String(skill.version);

@SubCommand({ name: 'reindex', description: 'Rebuild the skills index from the folders' })
export class SkillsReindexCommand extends RemoteCommand {
  protected async execute(_args: string[], options: RemoteCommandOptions): Promise<void> {
    const reply = await this.longRunning('Reindexing skills', options, () =>
      this.remote.call(options, 'skills.reindex', {}),
    );
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(`Indexed ${reply.indexed} skill${reply.indexed === 1 ? '' : 's'}.`),
    );
  }
}

@Command({
  name: 'skills',
  description:
    'Skills on a running server: list | show | promote | import | history | rollback | delete | reindex',
  subCommands: [
    SkillsListCommand,
    SkillsShowCommand,
    SkillsPromoteCommand,
    SkillsImportCommand,
    SkillsHistoryCommand,
    SkillsRollbackCommand,
    SkillsDeleteCommand,
    SkillsReindexCommand,
  ],
})
export class SkillsCommand extends GroupCommand {
  protected readonly usage =
    'skill-fleet skills list | show ID | promote JOB_ID [--overwrite] [--allow-scaffold] | import DIR [--category C] [--overwrite] | history ID | rollback ID --to N | delete ID [--yes] | reindex';
}
