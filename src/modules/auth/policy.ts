import { AppError } from '#src/common/errors/app-error';
import { ErrorCode } from '#src/client/protocol';
import type { Principal } from './principal';

/**
 * Who may do what (protocol.md 1.1 and 1.3), decided in the services that every adapter calls:
 * - reading needs any token; a user sees its own jobs, prompts and drafts, an admin sees all;
 * - a change needs a token that is not read-only;
 * - admin methods need the admin role, and the ones that change anything also a writing token.
 * What a principal may not see answers NOT_FOUND (ids cannot be probed); a missing right answers
 * FORBIDDEN.
 */

/** Commands that change state refuse read-only tokens. */
export function assertCanWrite(principal: Pick<Principal, 'readOnly'>): void {
  if (principal.readOnly) {
    throw new AppError(ErrorCode.FORBIDDEN, 'This token is read-only');
  }
}

/** Admin methods that only read refuse every role but admin. */
export function assertAdmin(principal: Pick<Principal, 'role'>): void {
  if (principal.role !== 'admin') {
    throw new AppError(ErrorCode.FORBIDDEN, 'This method needs an admin token');
  }
}

/** Admin methods that change anything: the admin role and a token that is not read-only. */
export function assertAdminCanWrite(principal: Pick<Principal, 'role' | 'readOnly'>): void {
  assertAdmin(principal);
  assertCanWrite(principal);
}

/** Whether the principal may see an object owned by `ownerId` (a job, its prompts, its draft). */
export const canSee = (
  principal: Pick<Principal, 'userId' | 'role'>,
  ownerId: string | null,
): boolean => principal.role === 'admin' || (ownerId !== null && ownerId === principal.userId);
