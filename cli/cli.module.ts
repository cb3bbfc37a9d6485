import { Module } from '@nestjs/common';
import { CliOutput } from './cli-output';
import { Printer } from './printer';
import { ProgramName } from './program-name';
import { Remote } from './remote';
import {
  DbCommand,
  DbMigrateCommand,
  DbRevertCommand,
  DbStatusCommand,
} from './commands/db.command';
import { ChatCommand } from './commands/chat.command';
import { CompletionCommand } from './commands/completion.command';
import { CreateCommand } from './commands/create.command';
import { DashboardCommand } from './commands/dashboard.command';
import { DoctorCommand } from './commands/doctor.command';
import { McpCommand } from './commands/mcp.command';
import {
  JobsCancelCommand,
  JobsCommand,
  JobsListCommand,
  JobsPurgeCommand,
  JobsRetryCommand,
  JobsFollowCommand,
  JobsRewindCommand,
  JobsStepsCommand,
  JobsShowCommand,
} from './commands/jobs.command';
import {
  PromptsAnswerCommand,
  PromptsCommand,
  PromptsListCommand,
} from './commands/prompts.command';
import {
  SkillsCommand,
  SkillsDeleteCommand,
  SkillsHistoryCommand,
  SkillsImportCommand,
  SkillsListCommand,
  SkillsPromoteCommand,
  SkillsReindexCommand,
  SkillsRollbackCommand,
  SkillsShowCommand,
} from './commands/skills.command';
import {
  DraftsCommand,
  DraftsDeleteCommand,
  DraftsListCommand,
  DraftsShowCommand,
} from './commands/drafts.command';
import {
  TokensCommand,
  TokensCreateCommand,
  TokensListCommand,
  TokensRevokeCommand,
} from './commands/tokens.command';
import { ServeCommand } from './commands/serve.command';
import { ValidateCommand } from './commands/validate.command';
import { WorkerCommand } from './commands/worker.command';
import { XmlCommand } from './commands/xml.command';

/** The `skill-fleet` commands. Commands that need the service start it themselves. */
@Module({
  providers: [
    ProgramName,
    CliOutput,
    ServeCommand,
    WorkerCommand,
    DbCommand,
    DbMigrateCommand,
    DbRevertCommand,
    DbStatusCommand,
    ValidateCommand,
    XmlCommand,
    Printer,
    Remote,
    JobsCommand,
    JobsListCommand,
    JobsShowCommand,
    JobsCancelCommand,
    JobsRetryCommand,
    JobsFollowCommand,
    JobsRewindCommand,
    JobsStepsCommand,
    JobsPurgeCommand,
    PromptsCommand,
    PromptsListCommand,
    PromptsAnswerCommand,
    SkillsCommand,
    SkillsListCommand,
    SkillsShowCommand,
    SkillsPromoteCommand,
    SkillsImportCommand,
    SkillsHistoryCommand,
    SkillsRollbackCommand,
    SkillsDeleteCommand,
    SkillsReindexCommand,
    DraftsCommand,
    DraftsListCommand,
    DraftsShowCommand,
    DraftsDeleteCommand,
    TokensCommand,
    TokensCreateCommand,
    TokensListCommand,
    TokensRevokeCommand,
    DoctorCommand,
    CreateCommand,
    ChatCommand,
    CompletionCommand,
    DashboardCommand,
    McpCommand,
  ],
})
export class CliModule {}
