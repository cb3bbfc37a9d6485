import { ErrorCode } from '../common/errors/error-codes';
import { PROTOCOL_METHODS } from '../gateway/ws-methods';
import { ERROR_CODES, Methods } from './protocol';

describe('client protocol types', () => {
  it('know the same error codes as the server', () => {
    expect([...ERROR_CODES].sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('type every protocol method', () => {
    const typed: Record<keyof Methods, true> = {
      ping: true,
      'auth.whoami': true,
      'jobs.create': true,
      'jobs.get': true,
      'jobs.list': true,
      'jobs.cancel': true,
      'jobs.retry': true,
      'jobs.subscribe': true,
      'jobs.unsubscribe': true,
      'feed.subscribe': true,
      'prompts.list': true,
      'prompts.answer': true,
      'skills.list': true,
      'skills.get': true,
      'skills.files': true,
      'skills.file': true,
      'skills.validate': true,
      'skills.promote': true,
      'skills.xml': true,
      'skills.history': true,
      'skills.rollback': true,
      'skills.delete': true,
      'drafts.list': true,
      'drafts.delete': true,
      'tokens.create': true,
      'tokens.list': true,
      'tokens.revoke': true,
      'jobs.purge': true,
      'skills.import': true,
      'skills.reindex': true,
      'system.status': true,
    };
    expect(Object.keys(typed).sort()).toEqual([...PROTOCOL_METHODS].sort());
  });
});
