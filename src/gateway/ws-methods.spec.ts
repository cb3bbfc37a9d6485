import { PROTOCOL_METHODS } from '../client/protocol';
import type { Principal } from '../modules/auth/principal';
import { ping, WsCall, WsHandlerTable, WsMethods } from './ws-methods';

const principal: Principal = { tokenId: 't', userId: 'u', role: 'user', readOnly: false };
const call = {} as WsCall;

/** A table whose every handler answers with its own method name. */
const table = (): WsHandlerTable =>
  ({
    ...Object.fromEntries(
      PROTOCOL_METHODS.map((method) => [method, () => Promise.resolve({ method })]),
    ),
    ping,
  }) as unknown as WsHandlerTable;

describe('WsMethods', () => {
  it('finds the handler of every protocol method, and knows no other type', async () => {
    const methods = new WsMethods(table());
    await expect(methods.get('prompts.list')?.({}, principal, call)).resolves.toEqual({
      method: 'prompts.list',
    });
    await expect(methods.get('ping')?.({}, principal, call)).resolves.toEqual({
      time: expect.any(String),
    });
    expect(methods.get('prompts.nothing')).toBeUndefined();
    expect(methods.get('toString')).toBeUndefined();
  });

  it('adds a method outside the protocol, but never replaces one or registers one twice', async () => {
    const methods = new WsMethods(table());
    methods.register('test.extra', async () => ({ extra: true }));
    await expect(methods.get('test.extra')?.({}, principal, call)).resolves.toEqual({
      extra: true,
    });
    expect(() => methods.register('test.extra', async () => ({}))).toThrow('registered twice');
    expect(() => methods.register('prompts.list', async () => ({}))).toThrow('registered twice');
  });
});
