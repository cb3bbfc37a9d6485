import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '#src/common/errors/app-error';
import { ErrorCode } from '#src/client/protocol';
import type { Principal } from './principal';
import { TokensService } from './tokens.service';

const PUBLIC_ROUTE = 'skill-fleet:public';

/** Marks a controller or route that needs no token (health, metrics). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The token of an `Authorization: Bearer <token>` header; undefined for any other header. */
export const bearerToken = (header: string | string[] | undefined): string | undefined =>
  typeof header === 'string' && header.startsWith('Bearer ')
    ? header.slice('Bearer '.length).trim()
    : undefined;

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/**
 * REST authentication: `Authorization: Bearer <token>` on every route not marked @Public. The same
 * TokensService backs the WebSocket upgrade check, so both surfaces agree on who may do what.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokensService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // WebSocket clients are authenticated once, at the upgrade (EventsGateway).
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.tokens.authenticate(bearerToken(request.headers.authorization));
    if (!principal) throw new AppError(ErrorCode.UNAUTHORIZED, 'A valid bearer token is required');
    request.principal = principal;
    return true;
  }
}

/** The authenticated caller of a REST route. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new AppError(ErrorCode.UNAUTHORIZED, 'Not authenticated');
    return principal;
  },
);
