import type { MethodName, Methods } from '../client/protocol';
import type { Principal } from '../modules/auth/principal';
import type { WsConnection } from './ws-connection';

/** What a method may know of the call beyond its payload. */
export interface WsCall {
  connection: WsConnection;
  /** Runs once the reply has been handed to the socket (a subscription starts its stream here). */
  afterReply(hook: () => void): void;
}

/**
 * The handler of protocol method `M`: a thin adapter that validates its payload, calls a service and
 * resolves with the method's reply payload.
 */
export type WsHandler<M extends MethodName> = (
  payload: Record<string, unknown>,
  principal: Principal,
  call: WsCall,
) => Promise<Methods[M]['reply']>;

/**
 * A handler for every method of `Methods`. A feature's handlers declare their share as
 * `satisfies Partial<WsHandlerTable>`, so a handler for a method the protocol does not have, or
 * with the wrong reply, does not compile; the gateway module joins the shares into the whole table,
 * so neither does a method without a handler.
 */
export type WsHandlerTable = { [M in MethodName]: WsHandler<M> };

/** Any method as the gateway calls it. */
export type WsMethod = (
  payload: Record<string, unknown>,
  principal: Principal,
  call: WsCall,
) => Promise<unknown>;

export const ping: WsHandler<'ping'> = async () => ({ time: new Date().toISOString() });

/** Who the token is: lets a client offer only what the token may do (`skill-fleet mcp`). */
export const whoami: WsHandler<'auth.whoami'> = async (_payload, { userId, role, readOnly }) => ({
  userId,
  role,
  readOnly,
});

/** The method table (protocol.md 1.3): the gateway looks methods up by `type`. */
export class WsMethods {
  private readonly methods: Map<string, WsMethod>;

  constructor(table: WsHandlerTable) {
    this.methods = new Map(Object.entries(table));
  }

  /**
   * Adds a method the protocol does not have (tests add ones that fail or hang); a protocol method
   * cannot be replaced.
   */
  register(type: string, method: WsMethod): void {
    if (this.methods.has(type)) throw new Error(`WebSocket method ${type} is registered twice`);
    this.methods.set(type, method);
  }

  /** The method for `type`; undefined for an unknown type. */
  get(type: string): WsMethod | undefined {
    return this.methods.get(type);
  }
}
