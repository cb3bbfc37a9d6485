import { AppError } from '../common/errors/app-error';
import type { Principal } from '../modules/auth/principal';
import { WsCall, WsMethods } from './ws-methods';

const principal: Principal = { tokenId: 't', userId: 'u', role: 'user', readOnly: false };
const call = {} as WsCall;

describe('WsMethods', () => {
  it('answers a protocol method without a handler as UNAVAILABLE, and knows no other type', async () => {
    const methods = new WsMethods();
    const missing = methods.get('prompts.list');
    await expect(missing?.({}, principal, call)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(methods.get('prompts.nothing')).toBeUndefined();
    await expect(methods.get('ping')?.({}, principal, call)).resolves.toEqual({
      time: expect.any(String),
    });
  });

  it('prefers a registered handler and refuses registering one twice', async () => {
    const methods = new WsMethods();
    methods.register('prompts.list', async () => ({ prompts: [] }));
    await expect(methods.get('prompts.list')?.({}, principal, call)).resolves.toEqual({
      prompts: [],
    });
    expect(() => methods.register('prompts.list', async () => ({}))).toThrow('registered twice');
    expect(AppError.unavailable('x').code).toBe('UNAVAILABLE');
  });
});
