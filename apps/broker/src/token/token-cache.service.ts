import { Injectable } from '@nestjs/common';
import type { BrokerConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { plannedRefreshAt } from './refresh-policy';
import type { TokenRecord } from '../store/token-record';
import type { TokenStore } from '../store/token-store';

interface Entry {
  readonly record: TokenRecord;
  /** This replica's own jittered wake-up time for this record. */
  readonly plannedAt: number;
}

/**
 * This replica's copy of each profile's token: the hot path reads only this. A record
 * replaces the current one only with a higher fence, so pub/sub, reconciliation and our
 * own writes can arrive in any order.
 */
@Injectable()
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * revoke-previous hand-overs in progress: profile -> the incoming fence, and when we learnt
   * it. No deadline: the old token stays unserved until a record of that fence or newer
   * arrives, or the hand-over is known to have ended without a token (Proof issued nothing).
   */
  private readonly handOvers = new Map<string, { fence: number; since: number; until?: number }>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(@InjectBrokerConfig() private readonly config: BrokerConfig) {}

  get(profile: string): TokenRecord | undefined {
    return this.entries.get(profile)?.record;
  }

  /** The record callers may be given: none while a hand-over revokes it (see TokenEvent). */
  serving(profile: string): TokenRecord | undefined {
    const handOver = this.handOvers.get(profile);
    if (handOver && (handOver.until === undefined || Date.now() < handOver.until)) return undefined;
    return this.entries.get(profile)?.record;
  }

  /**
   * Stops serving the held token: the lease of `fence` is about to have Proof revoke it.
   * `until`: only that long (a pause of this replica's own that no store record backs).
   */
  pause(profile: string, fence: number, until?: number): void {
    if (fence > this.fence(profile) && fence > (this.handOvers.get(profile)?.fence ?? 0))
      this.handOvers.set(profile, { fence, since: Date.now(), until });
  }

  /** The fence of the hand-over that keeps the held token unserved, if any. */
  handingOver(profile: string): number | undefined {
    const handOver = this.handOvers.get(profile);
    return handOver && (handOver.until === undefined || Date.now() < handOver.until) ? handOver.fence : undefined;
  }

  /**
   * A read found that the holder of hand-over `fence` ended it without a token (Proof issued
   * nothing): the held token is served again if that very hand-over paused it. Only the
   * holder's word ends one: a read that finds none pending ends nothing (Redis may have lost
   * it while the holder's request revokes the token), nor does a record it does not offer, nor
   * a newer hand-over's end (the one that paused it may have revoked the token). A bounded
   * pause (a token Proof refused, see `pause`) is not a hand-over: its own message or deadline ends it.
   */
  handOverEnded(profile: string, fence: number): void {
    const handOver = this.handOvers.get(profile);
    if (handOver?.fence === fence && handOver.until === undefined) this.resume(profile, fence);
  }

  resume(profile: string, fence: number): void {
    if (this.handOvers.get(profile)?.fence !== fence) return;
    this.handOvers.delete(profile);
    this.wake(profile);
  }

  plannedAt(profile: string): number | undefined {
    return this.entries.get(profile)?.plannedAt;
  }

  /** The highest fence seen for `profile`: the floor for the next lease. */
  fence(profile: string): number {
    return this.entries.get(profile)?.record.fence ?? 0;
  }

  /** Reads the stored record and offers it (see `offer`): the stored one, if any. Store errors are the caller's. */
  async loadFrom(store: TokenStore, profile: string): Promise<TokenRecord | undefined> {
    const stored = await store.read(profile);
    if (stored) this.offer(stored);
    return stored;
  }

  offer(record: TokenRecord): boolean {
    const current = this.entries.get(record.profile);
    if (current && current.record.fence >= record.fence) return false;
    this.entries.set(record.profile, { record, plannedAt: plannedRefreshAt(record, this.config.refresh, Math.random) });
    if ((this.handOvers.get(record.profile)?.fence ?? Infinity) <= record.fence) this.handOvers.delete(record.profile);
    this.wake(record.profile);
    return true;
  }

  private wake(profile: string): void {
    const waiting = this.waiters.get(profile);
    this.waiters.delete(profile);
    waiting?.forEach((wake) => wake());
  }

  /** Resolves on the next accepted record for `profile`, or after `timeoutMs`. */
  waitForUpdate(profile: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(profile) ?? new Set<() => void>();
      this.waiters.set(profile, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      set.add(wake);
    });
  }
}
