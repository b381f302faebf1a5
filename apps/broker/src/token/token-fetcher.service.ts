import { Injectable } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { ProofTokenClient, UpstreamToken } from './proof-token.client';
import { refreshAfterFor } from './refresh-policy';
import type { TokenRecord } from './token-record';
import { UpstreamTokenError } from './upstream-token.error';

/** Asks Proof for a token (timed into the metrics) and turns the answer into a record. */
@Injectable()
export class TokenFetcher {
  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly client: ProofTokenClient,
    private readonly metrics: BrokerMetrics,
  ) {}

  async fetch(profile: ProfileConfig): Promise<UpstreamToken> {
    const end = this.metrics.upstreamDuration.startTimer({ profile: profile.name });
    try {
      const token = await this.client.requestToken(profile, this.config.refresh.upstreamTimeoutMs);
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
      expiresAt,
      fence,
      refreshedBy: this.config.replicaId,
      refreshAfter: refreshAfterFor(upstream.receivedAt, expiresAt, this.config.refresh, reused),
    };
  }
}
