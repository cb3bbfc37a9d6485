import * as path from 'node:path';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { SKILL_STATUSES } from '../../src/client';
import { Printer, when } from '../printer';
import { groupUsage, knownStatus, RemoteCommand, RemoteCommandOptions } from './remote-command';

interface ListOptions extends RemoteCommandOptions {
  query?: string;
  category?: string;
  status?: string;
}

@SubCommand({ name: 'list', description: 'List indexed skills' })
export class SkillsListCommand extends RemoteCommand<ListOptions> {
  protected async execute(_args: string[], options: ListOptions): Promise<void> {
    const status = options.status ? knownStatus(options.status, SKILL_STATUSES) : undefined;
    const reply = await this.remote.call(options, 'skills.list', {
      ...(options.query && { query: options.query }),
      ...(options.category && { category: options.category }),
      ...(status && { status }),
    });
    this.printer.result(options.json === true, reply, () =>
      this.printer.table(
        reply.skills,
        [
          { header: 'ID', value: (s) => s.id },
          { header: 'NAME', value: (s) => s.name },
          { header: 'CATEGORY', value: (s) => s.category },
          { header: 'STATUS', value: (s) => s.status },
          { header: 'VERSION', value: (s) => s.version },
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
        ['version', skill.version],
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
}

@SubCommand({
  name: 'promote',
  arguments: '<jobId>',
  description: "Promote a finished job's draft into the taxonomy",
})
export class SkillsPromoteCommand extends RemoteCommand<PromoteOptions> {
  protected async execute([jobId]: string[], options: PromoteOptions): Promise<void> {
    const reply = await this.remote.call(options, 'skills.promote', {
      jobId,
      ...(options.overwrite && { overwrite: true }),
    });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(`Promoted to ${reply.skill.path} (skill ${reply.skill.id}).`),
    );
  }

  @Option({ flags: '--overwrite', description: 'Replace a skill already at that path' })
  parseOverwrite(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'import',
  arguments: '<dir>',
  description: 'Import a taxonomy folder (a path on the server machine)',
})
export class SkillsImportCommand extends RemoteCommand {
  protected async execute([dir]: string[], options: RemoteCommandOptions): Promise<void> {
    const from = path.resolve(dir);
    const reply = await this.longRunning(`Importing skills from ${from}`, options, () =>
      this.remote.call(options, 'skills.import', { path: from }),
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
}

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
  description: 'Skills on a running server: list | show | promote | import | reindex',
  subCommands: [
    SkillsListCommand,
    SkillsShowCommand,
    SkillsPromoteCommand,
    SkillsImportCommand,
    SkillsReindexCommand,
  ],
})
export class SkillsCommand extends CommandRunner {
  constructor(private readonly printer: Printer) {
    super();
  }

  async run(): Promise<void> {
    groupUsage(
      this.printer,
      'skill-fleet skills list | show ID | promote JOB_ID [--overwrite] | import DIR | reindex',
    );
  }
}
