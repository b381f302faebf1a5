import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { BrokerConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { ProfileResolver } from '../profiles/profile-resolver';
import { TokenStore } from '../store/token-store';
import { TokenSource } from '../token/serve/token-source.service';
import { Lifecycle } from './lifecycle.service';

/**
 * How long readiness waits for Redis when a profile has no servable token in memory: under
 * the load balancer's check timeout (1 s in the shipped HAProxy configs, 2 s in Kubernetes).
 */
export const READY_STORE_TIMEOUT_MS = 500;

/**
 * Readiness indicators: red only for causes local to this replica, so that a load balancer
 * never turns every replica out at once over something they all share.
 *
 * - draining (a graceful shutdown has begun);
 * - booting: not every profile has had a servable token in memory since this process started
 *   (once they all have, a profile added later by a reload does not count: it has no token on
 *   any replica either);
 * - a profile without a servable token in memory while this replica's store does not answer
 *   (Redis down or cut off from this replica, its presence lease then lapsing): another
 *   replica may well hold one.
 *
 * A profile without a servable token while the store answers lacks one everywhere (every
 * replica reads the same store): under revoke-previous after an ambiguous Proof failure,
 * under reuse at the end of a token's life, after a revoke-all. That is reported in the
 * details (`without_servable_token`) and in broker_token_ttl_seconds, but keeps the replica in
 * rotation: it still serves the other profiles and /proof/*, and answers this profile's
 * callers with its own 503 and Retry-After instead of the load balancer's bare 503.
 */
@Injectable()
export class TokenHealthIndicator {
  /** Profiles that have had a servable token in memory since start, until every one has. */
  private readonly warm = new Set<string>();
  private booted = false;

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly health: HealthIndicatorService,
    private readonly profiles: ProfileResolver,
    private readonly tokens: TokenSource,
    private readonly store: TokenStore,
    private readonly lifecycle: Lifecycle,
  ) {}

  accepting(): HealthIndicatorResult {
    const session = this.health.check('lifecycle');
    // Red first when shutting down, so the load balancer stops sending before we stop accepting.
    return this.lifecycle.draining ? session.down({ message: 'shutting down' }) : session.up();
  }

  async servable(): Promise<HealthIndicatorResult> {
    const names = this.profiles.all().map(({ name }) => name);
    const missing = names.filter((name) => !this.tokens.canServe(name));
    if (!this.booted) {
      for (const name of names) if (!missing.includes(name)) this.warm.add(name);
      this.booted = names.every((name) => this.warm.has(name));
    }
    const session = this.health.check('tokens');
    const profiles = names.length;
    // revoke-previous, presence lease lapsed (Redis out of reach): served on Proof's word only.
    const onEvidence = names.filter((name) => this.tokens.onEvidence(name));
    const details = {
      profiles,
      ...(onEvidence.length > 0 ? { on_evidence: onEvidence } : {}),
      ...(missing.length > 0 ? { without_servable_token: missing } : {}),
    };
    if (missing.length === 0) return session.up(details);
    if (!this.booted) return session.down({ ...details, booting: missing.filter((name) => !this.warm.has(name)) });
    // Draining is red already (accepting): no Redis read to slow the probe that says so.
    if (this.lifecycle.draining) return session.down(details);
    if (!(await this.storeAnswers(missing[0]))) return session.down({ ...details, store: 'not answering' });
    return session.up(details);
  }

  /** Whether this replica's store answers a read within READY_STORE_TIMEOUT_MS. */
  private async storeAnswers(profile: string): Promise<boolean> {
    if (this.store.unreachable) return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.min(READY_STORE_TIMEOUT_MS, this.config.refresh.coldWaitMs));
    });
    const read = this.store.read(profile).then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([read, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
