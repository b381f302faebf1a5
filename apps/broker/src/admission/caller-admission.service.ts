import { Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { CallerAuthenticator } from '../auth/caller-authenticator.service';
import type { Role } from '../config/broker-config';
import type { RequestAudit } from '../logging/request-audit';
import { ProfileResolver } from '../profiles/profile-resolver';
import { CallerRateLimiter } from '../rate-limit/caller-rate-limiter.service';

/** What a route reads from the request besides the key: at least the requested profile. */
export interface ProfileParams {
  readonly profile?: string;
}

export interface Admitted<P extends ProfileParams> {
  readonly caller: Caller;
  readonly profile: string;
  readonly params: P;
}

/**
 * Who may go on, for GET /token (TokenEndpoint) and every Nest route with a role (CallerGuard)
 * alike, in one order: the key (401, or 429 once the address used its budget of failures),
 * the caller's rate limit (429: every request of a known caller counts, whatever follows),
 * the route's parameters (400), the role and profile (403), the profile's existence (404,
 * after authorization so a caller cannot probe which names exist).
 */
@Injectable()
export class CallerAdmission {
  constructor(
    private readonly limiter: CallerRateLimiter,
    private readonly authenticator: CallerAuthenticator,
    private readonly profiles: ProfileResolver,
  ) {}

  /**
   * `roles`: any of them will do (POST /token/rejected takes token:read or admin).
   * `readParams` may throw a 400; it runs once the caller is known and counted.
   * `audit` gets the caller and then the profile as they are known, whatever the outcome.
   */
  admit<P extends ProfileParams>(
    authorization: string | undefined,
    address: string | undefined,
    roles: Role | readonly Role[],
    readParams: () => P,
    audit: RequestAudit,
  ): Admitted<P> {
    const caller = this.limiter.authenticate(authorization, address);
    audit.caller = caller.name;
    this.limiter.consume(caller);
    const params = readParams();
    const profile = this.profiles.nameFor(params.profile);
    const role = typeof roles === 'string' ? roles : (roles.find((r) => caller.roles.has(r)) ?? roles[0]);
    this.authenticator.authorize(caller, role, profile);
    this.profiles.require(profile);
    audit.profile = profile;
    return { caller, profile, params };
  }
}
