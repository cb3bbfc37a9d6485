import type { Role } from '#src/client/protocol';

/** Who is calling: resolved from a token on every request and at every WebSocket upgrade. */
export interface Principal {
  tokenId: string;
  userId: string;
  role: Role;
  readOnly: boolean;
}

export const isAdmin = (principal: Principal): boolean => principal.role === 'admin';
