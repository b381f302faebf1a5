import { Injectable } from '@nestjs/common';
import type { BrokerConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { expiresInSeconds } from '../../store/token-record';
import { RefreshStatus, TokenStore } from '../../store/token-store';
import { TokenFingerprinter } from '../../logging/token-fingerprint';
import { refreshHintOf, refreshInSeconds } from '../refresh-hint';
import { isServable } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';
import { TokenInfoDto } from './token-info.dto';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Builds /token/info from this replica's memory and the shared refresh status. */
@Injectable()
export class TokenInfoService {
  private lastStatus = new Map<string, RefreshStatus>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly cache: TokenCache,
    private readonly store: TokenStore,
    private readonly fingerprints: TokenFingerprinter,
  ) {}

  async info(profile: string): Promise<TokenInfoDto> {
    const now = Date.now();
    const record = this.cache.get(profile);
    // The shared status may be unreachable (Redis down): fall back to the last one read.
    const status = (await this.store.readStatus(profile).catch(() => undefined)) ?? this.lastStatus.get(profile);
    if (status) this.lastStatus.set(profile, status);
    const expiresIn = record ? expiresInSeconds(record, now) : null;
    const hint = record ? refreshHintOf(record, this.config.refresh) : undefined;
    return {
      profile,
      servable: isServable(record, now, this.config.refresh.minTtlMs),
      expires_at: iso(record?.expiresAt),
      expires_in: expiresIn,
      refresh_at: hint?.refreshAt ?? null,
      refresh_in: hint && expiresIn !== null ? refreshInSeconds(hint, expiresIn) : null,
      created_at: record ? iso(record.createdAt * 1000) : null,
      // Proof's clock minus ours: from the Date header (second precision) or else created_at.
      clock_skew_seconds: record
        ? Math.round(((record.serverDate ?? record.createdAt * 1000) - record.receivedAt) / 1000)
        : null,
      scope: record?.scope ?? null,
      fence: record?.fence ?? null,
      fingerprint: record ? this.fingerprints.of(record.accessToken) : null,
      last_refresh: status
        ? {
            at: new Date(status.lastAttemptAt).toISOString(),
            replica: status.lastAttemptBy,
            outcome: status.lastOutcome,
            error: status.lastError ?? null,
          }
        : null,
      next_refresh_at: iso(this.cache.plannedAt(profile)),
      next_attempt_not_before: iso(
        status?.nextAttemptAt !== undefined && status.nextAttemptAt > now ? status.nextAttemptAt : undefined,
      ),
      consecutive_failures: status?.consecutiveFailures ?? 0,
      client_secret_position: record?.secretPosition ?? null,
      store: this.store.kind,
    };
  }
}
