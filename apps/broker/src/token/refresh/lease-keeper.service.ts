import { Injectable, Logger } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { TokenStore } from '../../store/token-store';
import type { TokenRecord } from '../../store/token-record';
import { presenceTtlMs } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';
import { ProofTokenClient } from '../upstream/proof-token.client';
import { nextCheckAt } from './presence-lease-policy';
import { ServingLease } from './serving-lease.service';

/** Proof's word on the token this replica holds: `record` is the one checked. */
export interface Evidence {
  readonly verdict: 'alive' | 'dead' | 'unknown';
  readonly record?: TokenRecord;
}

interface PendingCheck {
  readonly evidence: Promise<Evidence>;
  /** Sends it now instead of at its planned time. */
  readonly start: () => void;
}

/**
 * The I/O of the presence lease (ServingLease): renews it through the registry, and past it
 * asks Proof's token/info (ProofTokenClient, as POST /token/rejected does) whether the held
 * token is still valid: at most once per BROKER_LEASE_CHECK_INTERVAL_MS, or at once for a
 * rejection report. Each caller waits for a check sent after it asked, so a "valid" it is
 * served on is no older than one round trip to Proof.
 */
@Injectable()
export class LeaseKeeper {
  private readonly logger = new Logger(LeaseKeeper.name);
  private readonly lastSentAt = new Map<string, number>();
  private readonly pending = new Map<string, PendingCheck>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly lease: ServingLease,
    private readonly cache: TokenCache,
    private readonly store: TokenStore,
    private readonly client: ProofTokenClient,
  ) {}

  /**
   * Heartbeat first, then read: a holder that went on without us checked the registry
   * before our heartbeat landed, so its hand-over was recorded before our read, which sees
   * it (and pauses the token) before the lease is renewed. Store errors are the caller's.
   */
  async renew(profile: string): Promise<void> {
    const sentAt = performance.now();
    await this.store.heartbeat(profile, this.config.replicaId, presenceTtlMs(this.config.refresh.reconcileIntervalMs));
    await this.cache.loadFrom(this.store, profile);
    this.lease.renewed(profile, sentAt);
  }

  /** Whether a token is held that only a check could make servable again (past the lease, not refused). */
  needsEvidence(profile: string): boolean {
    const record = this.cache.serving(profile);
    return (
      record !== undefined &&
      this.lease.guards(profile) &&
      !this.lease.live(profile) &&
      !this.lease.isRefused(profile, record.fence)
    );
  }

  /** Proof's word on the held token, from a check sent after this call. */
  check(profile: ProfileConfig, urgent = false): Promise<Evidence> {
    let pending = this.pending.get(profile.name);
    if (!pending) {
      const now = performance.now();
      const delayMs =
        nextCheckAt(this.lastSentAt.get(profile.name), now, this.config.refresh.leaseCheckIntervalMs) - now;
      let start = () => undefined as void;
      const due =
        delayMs <= 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, delayMs);
              start = () => {
                clearTimeout(timer);
                resolve();
              };
            });
      const evidence = due.then(() => {
        this.pending.delete(profile.name);
        return this.ask(profile);
      });
      pending = { evidence, start };
      this.pending.set(profile.name, pending);
    }
    if (urgent) pending.start();
    return pending.evidence;
  }

  private async ask(profile: ProfileConfig): Promise<Evidence> {
    const record = this.cache.serving(profile.name);
    if (!record) return { verdict: 'unknown' };
    if (this.lease.isRefused(profile.name, record.fence)) return { verdict: 'dead', record };
    const sentAt = performance.now();
    this.lastSentAt.set(profile.name, sentAt);
    try {
      const answer = await this.client.tokenInfo(profile, record.accessToken, this.config.refresh.upstreamTimeoutMs);
      if (answer.active) {
        this.lease.vouch(profile.name, record.fence, sentAt);
        return { verdict: 'alive', record };
      }
      this.lease.refuse(profile.name, record.fence);
      this.logger.warn(
        `profile ${profile.name}: Redis out of reach and Proof refuses the token of fence ${record.fence}: never served again`,
      );
      return { verdict: 'dead', record };
    } catch (error) {
      this.logger.debug(`profile ${profile.name}: token check failed: ${(error as Error).message}`);
      return { verdict: 'unknown', record };
    }
  }
}
