import { Injectable } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { LiveConfig } from '../../config/live-config.service';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { ProofTokenClient, UpstreamToken } from './proof-token.client';
import { refreshAfterFor } from '../refresh-policy';
import type { TokenRecord } from '../../store/token-record';
import { UpstreamTokenError } from './upstream-token.error';

/** Asks Proof for a token (timed into the metrics) and turns the answer into a record. */
@Injectable()
export class TokenFetcher {
  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly client: ProofTokenClient,
    private readonly metrics: BrokerMetrics,
    private readonly live: LiveConfig,
  ) {}

  /** The secret list and index of the secret that worked last, per profile: tried first next time. */
  private readonly preferred = new Map<string, { secrets: readonly string[]; index: number }>();

  /**
   * Asks with the preferred secret; on invalid_client tries each other secret once, in
   * order, and remembers the one that works (rotation without downtime). The secrets are
   * the ones last (re)loaded, read once per fetch: a reload mid-fetch applies to the next.
   * `held`: the token this replica has. `expires_in: 0` is Proof's answer for a reused
   * token's last second; for any other token it is unusable, and failed like an unreadable
   * answer (a backoff, not a refresh loop). `signal` aborts the request (the lock's lease).
   */
  async fetch(profile: ProfileConfig, held?: string, signal?: AbortSignal): Promise<UpstreamToken> {
    const secrets = this.live.clientSecretsOf(profile);
    // A reloaded list states a new order of preference: start again from its first secret.
    const remembered = this.preferred.get(profile.name);
    const sameList =
      remembered?.secrets.length === secrets.length && secrets.every((s, i) => remembered.secrets[i] === s);
    const first = sameList ? remembered.index : 0;
    for (let attempt = 0; ; attempt++) {
      const index = (first + attempt) % secrets.length;
      try {
        const token = await this.fetchWith(profile, secrets[index], signal);
        this.preferred.set(profile.name, { secrets, index });
        if (token.expiresInSeconds === 0 && token.accessToken !== held)
          throw new UpstreamTokenError('transient', 'invalid_response', 200);
        return { ...token, secretPosition: index + 1 };
      } catch (error) {
        const rejected = error instanceof UpstreamTokenError && error.code === 'invalid_client';
        if (!rejected || attempt + 1 >= secrets.length) throw error;
      }
    }
  }

  private async fetchWith(profile: ProfileConfig, secret: string, signal?: AbortSignal): Promise<UpstreamToken> {
    const end = this.metrics.upstreamDuration.startTimer({ profile: profile.name });
    try {
      const token = await this.client.requestToken(profile, secret, this.config.refresh.upstreamTimeoutMs, signal);
      end({ status_class: '2xx' });
      return token;
    } catch (error) {
      const failure = error instanceof UpstreamTokenError ? error : undefined;
      const statusClass = failure?.status ? `${Math.floor(failure.status / 100)}xx` : (failure?.code ?? 'network');
      end({
        status_class: statusClass === 'timeout' ? 'timeout' : statusClass.endsWith('xx') ? statusClass : 'network',
      });
      throw error;
    }
  }

  /** `reused`: Proof handed back the token we already had (reuse_access_token). */
  toRecord(profile: ProfileConfig, upstream: UpstreamToken, fence: number, reused: boolean): TokenRecord {
    // expires_in is seconds remaining when Proof answered: counting from our receipt time
    // can only make the expiry earlier than the real one, never later.
    const expiresAt = upstream.receivedAt + upstream.expiresInSeconds * 1000;
    return {
      profile: profile.name,
      accessToken: upstream.accessToken,
      tokenType: upstream.tokenType,
      scope: upstream.scope,
      createdAt: upstream.createdAt,
      receivedAt: upstream.receivedAt,
      serverDate: upstream.serverDate,
      secretPosition: upstream.secretPosition,
      expiresAt,
      fence,
      refreshedBy: this.config.replicaId,
      refreshAfter: refreshAfterFor(upstream.receivedAt, expiresAt, this.config.refresh, reused),
    };
  }
}
