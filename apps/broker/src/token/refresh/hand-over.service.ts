import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import type { HeldLock } from '../../lock/with-lock';
import { TokenStore } from '../../store/token-store';
import type { TokenRecord } from '../../store/token-record';
import { presenceTtlMs } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';

/**
 * The revoke-previous hand-over, every side of it. Under Doorkeeper's
 * revoke_previous_client_credentials_token the token a lock holder is about to get revokes
 * the one every replica serves: the holder records the hand-over in Redis under the lock and
 * announces it (`begin`), every replica stops serving the old token and acknowledges
 * (`acknowledge`, on the message or on any read of the token hash), and the holder asks
 * Proof only once every present replica has. A record of the hand-over's fence or newer ends
 * it (the fenced write); `end` ends it when Proof surely issued nothing. `announce` and
 * `withdraw` are the same pause for a token Proof already refused (POST /token/rejected).
 * The state of the pause on this replica lives in TokenCache (`pause`, `resume`, `serving`).
 */
@Injectable()
export class HandOver {
  private readonly logger = new Logger(HandOver.name);

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly store: TokenStore,
    private readonly cache: TokenCache,
  ) {}

  /** Stops serving the held token here (`until`: only until then) and tells every replica. */
  async announce(profile: string, fence: number, until?: number): Promise<void> {
    this.cache.pause(profile, fence, until);
    await this.store.publish({ profile, fence, kind: 'handover' }).catch(() => undefined);
  }

  /** Serves the held token here again and tells every replica. */
  async withdraw(profile: string, fence: number): Promise<void> {
    this.cache.resume(profile, fence);
    await this.store.publish({ profile, fence, kind: 'handover_end' }).catch(() => undefined);
  }

  /**
   * Another replica's hand-over, seen in a message or a read: stop serving the token, then
   * say so in Redis. Unbounded on purpose: a holder that dies or pauses may have revoked it
   * all the same.
   */
  acknowledge(profile: string, fence: number): void {
    this.cache.pause(profile, fence);
    void this.store
      .acknowledgeHandOver(profile, fence, this.config.replicaId, this.config.refresh.lockTtlMs)
      .catch((error: Error) => this.logger.debug(`profile ${profile}: hand-over not acknowledged: ${error.message}`));
  }

  /**
   * The holder, before asking Proof: records the hand-over in Redis under the lock (a replica
   * that misses the message sees it on its next read), announces it, and returns once every
   * present replica has acknowledged (and `handOverMs` has passed, for answers already on
   * their way). false: no hand-over needed (another policy, or no live token to revoke).
   * 'lost': the lock went meanwhile, or a newer record was written back: nothing may be asked.
   * `inherited`: an earlier holder's hand-over is pending (the old token is revoked already),
   * so it is never ended here.
   */
  async begin(
    profile: ProfileConfig,
    lock: HeldLock,
    stored: TokenRecord | undefined,
    inherited: boolean,
  ): Promise<boolean | 'lost'> {
    if (profile.tokenPolicy !== 'revoke-previous') return false;
    const current = stored ?? this.cache.get(profile.name);
    if ((!current || current.expiresAt <= Date.now()) && !inherited) {
      // No live token known here, which after an empty Redis restart says nothing of the
      // others: replicas still reconnecting hold the token Redis lost, and write it back.
      // Asking Proof before would revoke it: wait for them as a hand-over would.
      const waited = await this.untilRegistered(profile.name, lock, Infinity, () =>
        this.store.registryWait(lock, presenceTtlMs(this.config.refresh.reconcileIntervalMs)),
      );
      return waited === 'lost' ? 'lost' : false;
    }
    const { handOverMs, lockTtlMs, reconcileIntervalMs, minTtlMs, presenceMarginMs } = this.config.refresh;
    const presenceMs = presenceTtlMs(reconcileIntervalMs);
    const recordTtlMs = Math.max(lockTtlMs, (current?.expiresAt ?? 0) - Date.now());
    // Past its floor no replica serves the old token (one whose clock runs up to the presence
    // margin behind ours included): revoking it takes nothing from anyone, so no wait for
    // replicas (registering or silent) goes on beyond that point. An inherited hand-over with
    // no token here does not know the old token's expiry: it waits in full.
    const unservableAt = current ? current.expiresAt - minTtlMs + presenceMarginMs : Infinity;
    // Paused here before the record exists: once it does, a next holder may count this
    // replica as having acknowledged (it would, were this one to die or stop now). An
    // inherited hand-over keeps the token paused already.
    const resume = () => void (inherited || this.cache.resume(profile.name, lock.fence));
    const recorded = await this.untilRegistered(profile.name, lock, unservableAt, async () => {
      if (!inherited) this.cache.pause(profile.name, lock.fence);
      const waitMs = await this.store
        .beginHandOver(lock, presenceMs, recordTtlMs, this.config.replicaId)
        .catch((error: Error) => {
          resume();
          throw error;
        });
      if (waitMs !== 0) resume();
      return waitMs;
    });
    if (recorded === 'lost') return 'lost';
    if (recorded === 'unservable') {
      this.logger.log(`profile ${profile.name}: the old token is past its floor, no hand-over needed`);
      return false;
    }
    await this.announce(profile.name, lock.fence);
    const started = Date.now();
    // Until Redis says otherwise, nobody is known to have stopped serving.
    let missing = ['(unknown)'];
    for (;;) {
      await sleep(Math.min(25, handOverMs));
      if (lock.signal.aborted) break;
      missing = await this.store.unacknowledged(profile.name, lock.fence, this.config.replicaId).catch(() => missing);
      const waited = Date.now() - started;
      if (waited >= handOverMs && (missing.length === 0 || Date.now() >= unservableAt)) break;
      // By now a replica that is gone has left the registry; one that is there and silent
      // cannot read Redis: go on (it catches up at its next read).
      if (waited >= handOverMs + presenceMs) {
        this.logger.warn(`profile ${profile.name}: hand-over not acknowledged by ${missing.join(', ')}`);
        break;
      }
    }
    // Proof is asked only on a lease Redis has just confirmed (renewed from then on while the request runs).
    if (await lock.renew()) return true;
    if (!inherited) await this.end(profile.name, lock);
    return 'lost';
  }

  /**
   * Runs `attempt` (a store script: -1 lost, > 0 ms to wait, 0 done) until it is done, while
   * Redis' replica registry is younger than the presence TTL (Redis lost its data: replicas
   * still reconnecting must register first), heartbeating and renewing the lease meanwhile.
   * 'unservable': `unservableAt` came first.
   */
  private async untilRegistered(
    profile: string,
    lock: HeldLock,
    unservableAt: number,
    attempt: () => Promise<number>,
  ): Promise<'done' | 'lost' | 'unservable'> {
    const presenceMs = presenceTtlMs(this.config.refresh.reconcileIntervalMs);
    for (let step = 0; ; step++) {
      const waitMs = await attempt();
      if (waitMs < 0) return 'lost';
      if (waitMs === 0) return 'done';
      if (Date.now() >= unservableAt) return 'unservable';
      // Once per wait, not per step (a 15 s presence TTL is 30 steps).
      if (step === 0)
        this.logger.log(`profile ${profile}: waits ${waitMs} ms for replicas to register before asking Proof`);
      await this.store.heartbeat(profile, this.config.replicaId, presenceMs);
      await sleep(Math.max(0, Math.min(waitMs, 500, unservableAt - Date.now())));
      if (!(await lock.renew())) return 'lost';
    }
  }

  /**
   * The holder: Proof issued nothing (it answered with an error, or was never asked): the old
   * token stands, once Redis has ended the hand-over. If a next holder replaced it first (our
   * lease ran out), that holder counted us as paused and is revoking the token: it stays
   * unserved here, as it does while Redis does not answer (the next holder refreshes at once).
   */
  async end(profile: string, lock: HeldLock): Promise<void> {
    if (!(await this.store.endHandOver(profile, lock.fence).catch(() => false))) return;
    this.cache.resume(profile, lock.fence);
    await this.store.publish({ profile, fence: lock.fence, kind: 'handover_end' }).catch(() => undefined);
  }
}
