import { Command, Option, SubCommand } from 'nest-commander';
import type { Role } from '#src/client/index';
import { usageFailure, when } from '../printer';
import { GroupCommand, RemoteCommand, RemoteCommandOptions } from './remote-command';

interface CreateOptions extends RemoteCommandOptions {
  user?: string;
  role?: string;
  readOnly?: boolean;
}

@SubCommand({ name: 'create', description: 'Create a token (the secret is printed once)' })
export class TokensCreateCommand extends RemoteCommand<CreateOptions> {
  protected async execute(_args: string[], options: CreateOptions): Promise<void> {
    if (!options.user) throw usageFailure('--user is required');
    const role = options.role ?? 'user';
    if (role !== 'admin' && role !== 'user') {
      throw usageFailure(`--role must be admin or user, not "${role}"`);
    }
    const reply = await this.remote.call(options, 'tokens.create', {
      userId: options.user,
      role: role as Role,
      ...(options.readOnly && { readOnly: true }),
    });
    this.printer.result(options.json === true, reply, () => {
      this.printer.fields([
        ['id', reply.id],
        ['user', reply.userId],
        ['role', reply.role],
        ['read-only', reply.readOnly ? 'yes' : 'no'],
        ['token', reply.token],
      ]);
      this.printer.line('Store the token now: it is not shown again.');
    });
  }

  @Option({ flags: '--user <userId>', description: 'Who the token is for', required: true })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--role <role>', description: 'admin or user (default user)' })
  parseRole(value: string): string {
    return value;
  }

  @Option({ flags: '--read-only', description: 'The token may read but not change anything' })
  parseReadOnly(): boolean {
    return true;
  }
}

@SubCommand({ name: 'list', description: 'List tokens (never their secrets)' })
export class TokensListCommand extends RemoteCommand {
  protected async execute(_args: string[], options: RemoteCommandOptions): Promise<void> {
    const reply = await this.remote.call(options, 'tokens.list', {});
    this.printer.result(options.json === true, reply, () =>
      this.printer.table(
        reply.tokens,
        [
          { header: 'ID', value: (t) => t.id },
          { header: 'USER', value: (t) => t.userId },
          { header: 'ROLE', value: (t) => t.role },
          { header: 'READ-ONLY', value: (t) => (t.readOnly ? 'yes' : 'no') },
          { header: 'CREATED', value: (t) => when(t.createdAt) },
          { header: 'LAST USED', value: (t) => when(t.lastUsedAt) },
          { header: 'REVOKED', value: (t) => when(t.revokedAt) },
        ],
        'No tokens.',
      ),
    );
  }
}

@SubCommand({
  name: 'revoke',
  arguments: '<id>',
  description: 'Revoke a token; its connections close',
})
export class TokensRevokeCommand extends RemoteCommand {
  protected async execute([given]: string[], options: RemoteCommandOptions): Promise<void> {
    const id = await this.remote.resolveId(options, 'token', given);
    await this.remote.call(options, 'tokens.revoke', { id });
    this.printer.result(options.json === true, { revoked: id }, () =>
      this.printer.line(`Revoked token ${id}.`),
    );
  }
}

@Command({
  name: 'tokens',
  description: 'API tokens on a running server: create | list | revoke',
  subCommands: [TokensCreateCommand, TokensListCommand, TokensRevokeCommand],
})
export class TokensCommand extends GroupCommand {
  protected readonly usage = 'skill-fleet tokens create --user U | tokens list | tokens revoke ID';
}
