import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { TokenCheckFailedError } from '../../http/broker.errors';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { TokenStore } from '../../store/token-store';
import { VerdictStore } from '../../store/verdict-store';
import { ForcedRefresher } from '../refresh/forced-refresher.service';
import { retryAfterSeconds } from '../../http/retry-after';
import { verdictTtlMs } from '../refresh/forced-refresh-policy';
import { ProfileResolver } from '../../profiles/profile-resolver';
import { ProofTokenClient } from '../upstream/proof-token.client';
import { sameToken } from './same-token';
import { SingleFlight } from '../single-flight';
import { TokenCache } from '../token-cache.service';
import type { TokenRecord } from '../../store/token-record';
import { RejectionVerdict, TokenRejectionDto } from './token-rejection.dto';
import { UpstreamTokenError } from '../upstream/upstream-token.error';
import { HandOver } from '../refresh/hand-over.service';
import { LeaseKeeper } from '../refresh/lease-keeper.service';
import { ServingLease } from '../refresh/serving-lease.service';

/** How often a replica waiting for another replica's verdict looks again. */
const VERDICT_POLL_MS = 50;

/** The shared verdict could not be read or claimed: Redis did not answer. */
class StoreUnavailableError extends TokenCheckFailedError {}

/**
 * POST /token/rejected: a caller got a 401 from Proof with a token we handed out. A token
 * that is no longer the current one is simply "replaced". The current one is checked with
 * Proof's token/info once per fence (single flight here, a shared claim and verdict in the
 * store across replicas); only if Proof refuses it is it dropped and replaced, whatever its
 * age. The reported token is never logged, counted by value or answered back.
 */
@Injectable()
export class TokenRejectionService {
  private readonly logger = new Logger(TokenRejectionService.name);
  private readonly judgements = new SingleFlight<string, RejectionVerdict>();
  private readonly syncs = new SingleFlight<string, void>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly profiles: ProfileResolver,
    private readonly cache: TokenCache,
    private readonly store: TokenStore,
    private readonly verdicts: VerdictStore,
    private readonly client: ProofTokenClient,
    private readonly forced: ForcedRefresher,
    private readonly metrics: BrokerMetrics,
    private readonly lease: ServingLease,
    private readonly keeper: LeaseKeeper,
    private readonly handOver: HandOver,
  ) {}

  async report(profileName: string, accessToken: string): Promise<TokenRejectionDto> {
    const profile = this.profiles.require(profileName);
    let verdict: RejectionVerdict;
    try {
      verdict = await this.judge(profile, accessToken);
    } catch (error) {
      const failed = error instanceof TokenCheckFailedError ? 'check_failed' : 'refresh_failed';
      this.metrics.rejections.inc({ profile: profile.name, verdict: failed });
      throw error;
    }
    this.metrics.rejections.inc({ profile: profile.name, verdict });
    return { verdict, profile: profile.name, fence: this.cache.get(profile.name)?.fence ?? null };
  }

  private async judge(profile: ProfileConfig, accessToken: string): Promise<RejectionVerdict> {
    let current = this.cache.get(profile.name);
    if (!current || !sameToken(accessToken, current.accessToken)) {
      // This replica may not have heard of the newest token yet: pub/sub is best effort.
      await this.sync(profile.name);
      current = this.cache.get(profile.name);
      if (!current || !sameToken(accessToken, current.accessToken)) return 'replaced';
    }
    const record = current;
    return this.judgements.run(`${profile.name}/${record.fence}`, () => this.judgeCurrent(profile, record));
  }

  private async judgeCurrent(profile: ProfileConfig, record: TokenRecord): Promise<RejectionVerdict> {
    let cutOff = false;
    const verdict = this.lease.live(profile.name)
      ? await this.verdictOn(profile, record).catch((error: unknown) => {
          // Under `new` and `reuse`, cut off from Redis: asked alone, else this replica would
          // keep serving a token Proof revoked out of band (a revoke-all) that the others, on
          // Redis, have replaced, and callers routed here would get it again after each report.
          if (!(error instanceof StoreUnavailableError) || this.lease.guards(profile.name)) throw error;
          cutOff = true;
          return this.checkAlone(profile);
        })
      : await this.checkAlone(profile);
    if (verdict === 'alive') return 'alive';
    // Refused here by the check (ServingLease): nobody to tell, replaced alone (LocklessRefresher).
    if (cutOff) await this.forced.replace(profile, record.fence);
    else await this.dropAndReplace(profile, record);
    return 'refreshed';
  }

  /**
   * Past the presence lease (revoke-previous, Redis out of reach), or cut off from Redis under
   * `new` and `reuse`, this replica cannot share a verdict: it asks Proof itself at once
   * (LeaseKeeper, single flight), and a "dead" stops it serving the token for good.
   */
  private async checkAlone(profile: ProfileConfig): Promise<'alive' | 'dead'> {
    const { verdict } = await this.keeper.check(profile, true);
    if (verdict === 'unknown') throw new TokenCheckFailedError(1);
    return verdict;
  }

  /** Proof's verdict on `record`'s token: asked by the one replica that claims it, awaited by the others. */
  private async verdictOn(profile: ProfileConfig, record: TokenRecord): Promise<'alive' | 'dead'> {
    const { lockTtlMs, backoffBaseMs } = this.config.refresh;
    const deadline = Date.now() + lockTtlMs;
    for (;;) {
      const state = await this.shared(this.verdicts.read(profile.name, record.fence));
      switch (state) {
        case 'alive':
        case 'dead':
          return state;
        case 'unknown':
          throw new TokenCheckFailedError(retryAfterSeconds(Date.now() + backoffBaseMs, Date.now()));
        case undefined:
          // The claim lives as long as a refresh lock: if its holder dies, another replica asks.
          if (await this.shared(this.verdicts.claim(profile.name, record.fence, lockTtlMs)))
            return this.ask(profile, record);
          break;
        case 'checking':
          break;
      }
      if (Date.now() >= deadline) throw new TokenCheckFailedError(1);
      await sleep(VERDICT_POLL_MS);
    }
  }

  private async ask(profile: ProfileConfig, record: TokenRecord): Promise<'alive' | 'dead'> {
    const { upstreamTimeoutMs, rejectionRecheckMs, backoffBaseMs, backoffMaxMs } = this.config.refresh;
    const timing = { recheckMs: rejectionRecheckMs, backoffBaseMs, backoffMaxMs };
    let verdict: 'alive' | 'dead';
    try {
      verdict = (await this.client.tokenInfo(profile, record.accessToken, upstreamTimeoutMs)).active ? 'alive' : 'dead';
    } catch (error) {
      const failure = error instanceof UpstreamTokenError ? error : undefined;
      // A shared backoff: no replica asks about this token again before it ends.
      const ttlMs = verdictTtlMs('unknown', record, Date.now(), timing, failure?.retryAfterMs);
      await this.verdicts.settle(profile.name, record.fence, 'unknown', ttlMs).catch(() => undefined);
      this.logger.warn(
        `profile ${profile.name}: could not check the reported token of fence ${record.fence}: ${failure?.code ?? 'unexpected error'}`,
      );
      throw new TokenCheckFailedError(retryAfterSeconds(Date.now() + ttlMs, Date.now()), { cause: error });
    }
    const ttlMs = verdictTtlMs(verdict, record, Date.now(), timing);
    await this.verdicts.settle(profile.name, record.fence, verdict, ttlMs).catch(() => undefined);
    this.logger.log(
      `profile ${profile.name}: Proof ${verdict === 'alive' ? 'accepts' : 'refuses (expired or revoked)'} the reported token of fence ${record.fence}`,
    );
    return verdict;
  }

  /**
   * Proof refuses the token: stop handing it out, here and (with a hand-over message) on
   * every replica, until its replacement arrives. If none can be had, serve it again: the
   * other replicas' pause ends on its own, and callers keep reporting, which retries under
   * the shared refresh backoff.
   */
  private async dropAndReplace(profile: ProfileConfig, record: TokenRecord): Promise<void> {
    const next = record.fence + 1;
    await this.handOver.announce(profile.name, next, Date.now() + this.config.refresh.lockTtlMs);
    try {
      await this.forced.replace(profile, record.fence);
    } catch (error) {
      await this.handOver.withdraw(profile.name, next);
      throw error;
    }
  }

  /** Store failures (Redis down) mean we cannot coordinate the check: a 503, never a lone upstream call. */
  private shared<T>(operation: Promise<T>): Promise<T> {
    return operation.catch((error: unknown) => {
      throw new StoreUnavailableError(1, { cause: error });
    });
  }

  private sync(profile: string): Promise<void> {
    return this.syncs.run(profile, () =>
      this.cache
        .loadFrom(this.store, profile)
        .then(() => undefined)
        .catch(() => undefined),
    );
  }
}
