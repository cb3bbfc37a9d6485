import { Injectable } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { withDataSource } from '../../src/database/standalone';
import {
  migrationStatus,
  revertLastMigration,
  runMigrationsLocked,
} from '../../src/database/migrator';
import { CliOutput } from '../cli-output';
import { loadConfig } from '../load-config';

interface JsonOption {
  json?: boolean;
}

/** @Injectable so Nest reads the constructor's parameter types for the subclasses. */
@Injectable()
abstract class DbSubCommand extends CommandRunner {
  constructor(protected readonly out: CliOutput) {
    super();
  }

  @Option({ flags: '--json', description: 'Print one JSON document' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({ name: 'migrate', description: 'Apply pending migrations (under an advisory lock)' })
export class DbMigrateCommand extends DbSubCommand {
  async run(_args: string[], options: JsonOption): Promise<void> {
    const applied = await withDataSource(loadConfig(), (ds) => runMigrationsLocked(ds));
    if (options.json) return this.out.json({ applied });
    this.out.line(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
  }
}

@SubCommand({ name: 'revert', description: 'Undo the most recent migration' })
export class DbRevertCommand extends DbSubCommand {
  async run(_args: string[], options: JsonOption): Promise<void> {
    const reverted = await withDataSource(loadConfig(), async (ds) => {
      const before = (await migrationStatus(ds)).filter((m) => m.applied).pop();
      await revertLastMigration(ds);
      return before?.name ?? null;
    });
    if (options.json) return this.out.json({ reverted });
    this.out.line(reverted ? `Reverted ${reverted}` : 'No migration to revert.');
  }
}

@SubCommand({ name: 'status', description: 'List migrations and whether each is applied' })
export class DbStatusCommand extends DbSubCommand {
  async run(_args: string[], options: JsonOption): Promise<void> {
    const migrations = await withDataSource(loadConfig(), migrationStatus);
    if (options.json) return this.out.json({ migrations });
    for (const m of migrations) this.out.line(`${m.applied ? '[x]' : '[ ]'} ${m.name}`);
  }
}

@Command({
  name: 'db',
  description: 'Database migrations: migrate | revert | status',
  subCommands: [DbMigrateCommand, DbRevertCommand, DbStatusCommand],
})
export class DbCommand extends CommandRunner {
  constructor(private readonly out: CliOutput) {
    super();
  }

  async run(): Promise<void> {
    this.out.problem('Usage: skill-fleet db migrate | db revert | db status');
    process.exitCode = 2;
  }
}
