import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ProfileResolver } from '../profiles/profile-resolver';
import { TokenSource } from '../token/serve/token-source.service';
import { Lifecycle } from './lifecycle.service';

/** Readiness indicators: not draining, and a servable token in memory for every profile. */
@Injectable()
export class TokenHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly profiles: ProfileResolver,
    private readonly tokens: TokenSource,
    private readonly lifecycle: Lifecycle,
  ) {}

  accepting(): HealthIndicatorResult {
    const session = this.health.check('lifecycle');
    // Red first when shutting down, so the load balancer stops sending before we stop accepting.
    return this.lifecycle.draining ? session.down({ message: 'shutting down' }) : session.up();
  }

  servable(): HealthIndicatorResult {
    const missing = this.profiles.all().filter(({ name }) => !this.tokens.canServe(name));
    const session = this.health.check('tokens');
    const profiles = this.profiles.all().length;
    // revoke-previous, presence lease lapsed (Redis out of reach): served on Proof's word only.
    const onEvidence = this.profiles.all().filter(({ name }) => this.tokens.onEvidence(name));
    return missing.length === 0
      ? session.up({ profiles, ...(onEvidence.length > 0 ? { on_evidence: onEvidence.map(({ name }) => name) } : {}) })
      : session.down({ profiles, without_servable_token: missing.map(({ name }) => name) });
  }
}
