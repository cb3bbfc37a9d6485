import { Injectable } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import type { DataSource } from 'typeorm';
import { withDataSource } from '#src/database/standalone';
import { migrationStatus, revertLastMigration, runMigrationsLocked } from '#src/database/migrator';
import { CliOutput } from '../cli-output';
import { EXIT_USAGE } from '../exit-codes';
import { loadConfig } from '../load-config';
import { CliFailure, Printer } from '../printer';

/** Network errors and Postgres refusals (bad password, no such database) of a connection attempt. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  '28P01',
  '28000',
  '3D000',
]);

interface JsonOption {
  json?: boolean;
}

/** @Injectable so Nest reads the constructor's parameter types for the subclasses. */
@Injectable()
abstract class DbSubCommand extends CommandRunner {
  constructor(
    protected readonly out: CliOutput,
    private readonly printer: Printer,
  ) {
    super();
  }

  /**
   * Runs `work` on the configured database. A database that cannot be reached is reported like an
   * unreachable server (protocol.md §3: exit 2, `UNREACHABLE`) with a hint; undefined is returned.
   */
  protected async database<T>(
    options: JsonOption,
    work: (dataSource: DataSource) => Promise<T>,
  ): Promise<{ value: T } | undefined> {
    try {
      return { value: await withDataSource(loadConfig(), work) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !UNREACHABLE_CODES.has(code)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      this.printer.fail(
        options.json === true,
        new CliFailure(
          'UNREACHABLE',
          `The database is not reachable: ${message}`,
          EXIT_USAGE,
          'Check DATABASE_URL and that Postgres is running; `skill-fleet doctor` checks the whole setup.',
        ),
      );
      return undefined;
    }
  }

  @Option({ flags: '--json', description: 'Print one JSON document' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({ name: 'migrate', description: 'Apply pending migrations (under an advisory lock)' })
export class DbMigrateCommand extends DbSubCommand {
  async run(_args: string[], options: JsonOption): Promise<void> {
    const result = await this.database(options, (ds) => runMigrationsLocked(ds));
    if (!result) return;
    const applied = result.value;
    if (options.json) return this.out.json({ applied });
    this.out.line(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
  }
}

@SubCommand({ name: 'revert', description: 'Undo the most recent migration' })
export class DbRevertCommand extends DbSubCommand {
  async run(_args: string[], options: JsonOption): Promise<void> {
    const result = await this.database(options, async (ds) => {
      const before = (await migrationStatus(ds)).filter((m) => m.applied).pop();
      await revertLastMigration(ds);
      return before?.name ?? null;
    });
    if (!result) return;
    const reverted = result.value;
    if (options.json) return this.out.json({ reverted });
    this.out.line(reverted ? `Reverted ${reverted}` : 'No migration to revert.');
  }
}

@SubCommand({ name: 'status', description: 'List migrations and whether each is applied' })
export class DbStatusCommand extends DbSubCommand {
  async run(_args: string[], options: JsonOption): Promise<void> {
    const result = await this.database(options, migrationStatus);
    if (!result) return;
    const migrations = result.value;
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
