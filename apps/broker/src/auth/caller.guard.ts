import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../http/broker.errors';
import { audit } from '../logging/request-audit';
import { ProfileResolver } from '../token/profile-resolver';
import type { Caller } from './caller';
import { CallerAuthenticator } from './caller-authenticator.service';
import { RequireRole } from './require-role.decorator';

export type AuthenticatedRequest = FastifyRequest & { caller?: Caller; profileName?: string };

/** Authenticates the caller key, resolves the profile, and checks the route's role for it. */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: CallerAuthenticator,
    private readonly profiles: ProfileResolver,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const role = this.reflector.get(RequireRole, context.getHandler());
    if (!role) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const caller = this.authenticator.authenticate(request.headers.authorization);
    audit(request.raw, { caller: caller.name });
    const query = request.query as Record<string, unknown>;
    if (query.profile !== undefined && typeof query.profile !== 'string') {
      throw new InvalidRequestError('profile must be given once');
    }
    const requested = query.profile;
    const profile = this.profiles.nameFor(requested);
    this.authenticator.authorize(caller, role, profile);
    this.profiles.require(profile);
    request.caller = caller;
    audit(request.raw, { profile });
    request.profileName = profile;
    return true;
  }
}
