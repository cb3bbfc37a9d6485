import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import type { Principal } from '../modules/auth/principal';
import type { WsConnection } from './ws-connection';

/** What a method may know of the call beyond its payload. */
export interface WsCall {
  connection: WsConnection;
  /** Runs once the reply has been handed to the socket (a subscription starts its stream here). */
  afterReply(hook: () => void): void;
}

/** One protocol method: a thin adapter that validates its payload and calls a service. */
export type WsMethod = (
  payload: Record<string, unknown>,
  principal: Principal,
  call: WsCall,
) => Promise<unknown>;

/** Every method of protocol.md 1.3 (and the library's: history, rollback, delete, drafts). */
export const PROTOCOL_METHODS: ReadonlySet<string> = new Set([
  'ping',
  'auth.whoami',
  'jobs.create',
  'jobs.get',
  'jobs.list',
  'jobs.cancel',
  'jobs.retry',
  'jobs.subscribe',
  'jobs.unsubscribe',
  'feed.subscribe',
  'prompts.list',
  'prompts.answer',
  'skills.list',
  'skills.get',
  'skills.files',
  'skills.file',
  'skills.validate',
  'skills.promote',
  'skills.xml',
  'skills.history',
  'skills.rollback',
  'skills.delete',
  'drafts.list',
  'drafts.delete',
  'tokens.create',
  'tokens.list',
  'tokens.revoke',
  'jobs.purge',
  'skills.import',
  'skills.reindex',
  'system.status',
]);

const unavailable: WsMethod = () =>
  Promise.reject(AppError.unavailable('This method is not available on this server'));

/**
 * The table of protocol methods (protocol.md 1.3). Feature handlers register here; the gateway looks
 * methods up by `type`. A protocol method whose service this process lacks answers UNAVAILABLE; any
 * other type is unknown.
 */
@Injectable()
export class WsMethods {
  private readonly methods = new Map<string, WsMethod>();

  constructor() {
    this.register('ping', async () => ({ time: new Date().toISOString() }));
    // who the token is: lets a client offer only what the token may do (`skill-fleet mcp`)
    this.register('auth.whoami', async (_payload, { userId, role, readOnly }) => ({
      userId,
      role,
      readOnly,
    }));
  }

  register(type: string, method: WsMethod): void {
    if (this.methods.has(type)) throw new Error(`WebSocket method ${type} is registered twice`);
    this.methods.set(type, method);
  }

  get(type: string): WsMethod | undefined {
    return this.methods.get(type) ?? (PROTOCOL_METHODS.has(type) ? unavailable : undefined);
  }
}
