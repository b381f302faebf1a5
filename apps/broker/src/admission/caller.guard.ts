import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { authorizationOf } from '../auth/authorization-header';
import type { Caller } from '../auth/caller';
import { InvalidRequestError } from '../http/broker.errors';
import { auditOf, recordAudit, type RequestAudit } from '../logging/request-audit';
import { CallerAdmission } from './caller-admission.service';
import { ProfileFrom } from './profile-from.decorator';
import { RequireRole } from './require-role.decorator';

export type AuthenticatedRequest = FastifyRequest & { caller?: Caller; profileName?: string };

/** The profile CallerGuard admitted the request for: set before any handler of a route with a role runs. */
export const profileOf = (request: AuthenticatedRequest): string => request.profileName as string;

/** Admits the caller of a route with a role (CallerAdmission) and attaches it and its profile to the request. */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly admission: CallerAdmission,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.get(RequireRole, context.getHandler());
    if (!roles) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const from = this.reflector.get(ProfileFrom, context.getHandler()) ?? 'query';
    const readParams = () => {
      const params = (from === 'body' ? request.body : request.query) as Record<string, unknown> | null | undefined;
      const requested = params?.profile;
      if (requested !== undefined && typeof requested !== 'string') {
        throw new InvalidRequestError(from === 'body' ? 'profile must be a string' : 'profile must be given once');
      }
      return { profile: requested };
    };
    const audit: RequestAudit = { ...auditOf(request.raw) };
    recordAudit(request.raw, audit);
    const { caller, profile } = this.admission.admit(
      authorizationOf(request.raw),
      request.ip,
      roles,
      readParams,
      audit,
    );
    request.caller = caller;
    request.profileName = profile;
    return true;
  }
}
