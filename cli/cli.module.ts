import { Module } from '@nestjs/common';
import { CliOutput } from './cli-output';
import {
  DbCommand,
  DbMigrateCommand,
  DbRevertCommand,
  DbStatusCommand,
} from './commands/db.command';
import { ServeCommand } from './commands/serve.command';
import { ValidateCommand } from './commands/validate.command';
import { WorkerCommand } from './commands/worker.command';
import { XmlCommand } from './commands/xml.command';

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
    ValidateCommand,
    XmlCommand,
  ],
})
export class CliModule {}
