import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../http/broker.errors';
import { audit } from '../logging/request-audit';
import { CallerRateLimiter } from '../rate-limit/caller-rate-limiter.service';
import { CallerThrottlerGuard } from '../rate-limit/caller-throttler.guard';
import { ProfileResolver } from '../profiles/profile-resolver';
import type { Role } from '../config/broker-config';
import type { Caller } from '../auth/caller';
import { CallerAuthenticator } from '../auth/caller-authenticator.service';
import { ProfileFrom } from './profile-from.decorator';
import { RequireRole } from './require-role.decorator';

export type AuthenticatedRequest = FastifyRequest & { caller?: Caller; profileName?: string };

/** Authenticates the caller key, resolves the profile, and checks the route's role for it. */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: CallerAuthenticator,
    private readonly profiles: ProfileResolver,
    private readonly limiter: CallerRateLimiter,
    private readonly throttler: CallerThrottlerGuard,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const role = this.reflector.get(RequireRole, context.getHandler());
    if (!role) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const caller = this.limiter.authenticate(request.headers.authorization, request.ip);
    audit(request.raw, { caller: caller.name });
    const from = this.reflector.get(ProfileFrom, context.getHandler()) ?? 'query';
    const params = (from === 'body' ? request.body : request.query) as Record<string, unknown> | null | undefined;
    const requested = params?.profile;
    if (requested !== undefined && typeof requested !== 'string') {
      throw new InvalidRequestError(from === 'body' ? 'profile must be a string' : 'profile must be given once');
    }
    const profile = this.profiles.nameFor(requested);
    // A route may accept any of several roles (POST /token/rejected: token:read or admin).
    const roles: readonly Role[] = typeof role === 'string' ? [role] : role;
    this.authenticator.authorize(caller, roles.find((r) => caller.roles.has(r)) ?? roles[0], profile);
    this.profiles.require(profile);
    request.caller = caller;
    audit(request.raw, { profile });
    request.profileName = profile;
    // Then the caller's rate limit, here rather than as a second guard of each controller:
    // every route with a role is counted, and always after the caller is known.
    return this.throttler.canActivate(context);
  }
}
