import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { AppError } from '#src/common/errors/app-error';
import { AppConfig } from '#src/config/app-config';
import { readAdminTokenFile, writeAdminTokenFile } from './admin-token-file';
import { assertAdmin, assertAdminCanWrite } from './policy';
import type { Principal } from './principal';
import type { Role } from '#src/client/protocol';
import { Token } from './token.entity';

export interface CreatedToken {
  id: string;
  token: string;
  userId: string;
  role: Role;
  readOnly: boolean;
}

const LAST_USED_PRECISION_MS = 60_000;

const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

@Injectable()
export class TokensService {
  private readonly logger = new Logger(TokensService.name);

  constructor(
    @InjectRepository(Token) private readonly tokens: Repository<Token>,
    private readonly config: AppConfig,
  ) {}

  /** `tokens.create`: a writing admin makes a token for someone. */
  createFor(
    caller: Principal,
    request: { userId: string; role: Role; readOnly?: boolean },
  ): Promise<CreatedToken> {
    assertAdminCanWrite(caller);
    return this.create(request.userId, request.role, request.readOnly ?? false);
  }

  /** `tokens.list`: every token (never a secret), for an admin. */
  listFor(caller: Principal): Promise<Token[]> {
    assertAdmin(caller);
    return this.list();
  }

  /** `tokens.revoke`: a writing admin revokes an active token; NOT_FOUND when none has that id. */
  async revokeFor(caller: Principal, id: string): Promise<void> {
    assertAdminCanWrite(caller);
    if (!(await this.revoke(id))) throw AppError.notFound('Token', id);
  }

  /** Makes a token, with no check of who asks: first start, tests, and createFor. */
  async create(userId: string, role: Role, readOnly = false): Promise<CreatedToken> {
    const secret = `sf_${randomBytes(32).toString('base64url')}`;
    const row = await this.tokens.save(
      this.tokens.create({ hash: hashOf(secret), userId, role, readOnly }),
    );
    return { id: row.id, token: secret, userId, role, readOnly };
  }

  /** The principal behind a secret, or null when it is unknown or revoked. */
  async authenticate(secret: string | undefined): Promise<Principal | null> {
    if (!secret) return null;
    const row = await this.tokens.findOne({ where: { hash: hashOf(secret), revokedAt: IsNull() } });
    if (!row) return null;
    // lastUsedAt is for people auditing tokens; minute precision keeps writes off every request.
    const lastUsed = row.lastUsedAt ? new Date(row.lastUsedAt).getTime() : 0;
    if (Date.now() - lastUsed > LAST_USED_PRECISION_MS) {
      await this.tokens.update({ id: row.id }, { lastUsedAt: new Date() });
    }
    return { tokenId: row.id, userId: row.userId, role: row.role, readOnly: row.readOnly };
  }

  async isActive(tokenId: string): Promise<boolean> {
    return this.tokens.exists({ where: { id: tokenId, revokedAt: IsNull() } });
  }

  list(): Promise<Token[]> {
    return this.tokens.find({ order: { createdAt: 'ASC' } });
  }

  /** Returns false when no active token has that id. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.tokens.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  /**
   * First start: when the admin token file is missing or no longer matches an active token, make an
   * admin token and write it to `<DATA_DIR>/admin-token` (created exclusively, mode 0600). A file
   * there that this server did not write is refused (see admin-token-file). Returns the new secret,
   * or null when the file was already good. The secret itself is never logged.
   */
  async ensureAdminToken(): Promise<string | null> {
    const file = this.config.adminTokenFile;
    const principal = await this.authenticate(readAdminTokenFile(file));
    if (principal?.role === 'admin') return null;
    const created = await this.create('admin', 'admin');
    writeAdminTokenFile(file, created.token);
    this.logger.log(`Created an admin token and wrote it to ${file}`);
    return created.token;
  }
}
