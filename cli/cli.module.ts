import { Module } from '@nestjs/common';
import { CliOutput } from './cli-output';
import {
  DbCommand,
  DbMigrateCommand,
  DbRevertCommand,
  DbStatusCommand,
} from './commands/db.command';
import { ServeCommand } from './commands/serve.command';
import { WorkerCommand } from './commands/worker.command';

/** The `skill-fleet` commands. Commands that need the service start it themselves. */
@Module({
  providers: [
    CliOutput,
    ServeCommand,
    WorkerCommand,
    DbCommand,
    DbMigrateCommand,
    DbRevertCommand,
    DbStatusCommand,
  ],
})
export class CliModule {}
