import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { keptUntil, type TokenRecord } from './token-record';
import { HandOverListener, LockLease, RefreshStatus, TokenEvent, TokenStore, TokenUpdateListener } from './token-store';

interface Lock {
  owner: string;
  expiresAt: number;
}

/**
 * The embedded store used without REDIS_URL: the same contract as the Redis store (fenced
 * lock, compare-and-set writes) inside one process, so a single replica behaves the same.
 * It is not shared: two replicas on it would each refresh.
 */
@Injectable()
export class MemoryTokenStore extends TokenStore {
  readonly kind = 'memory';
  readonly ready = true;
  readonly unreachable = false;
  private readonly records = new Map<string, TokenRecord>();
  private readonly fences = new Map<string, number>();
  private readonly locks = new Map<string, Lock>();
  private readonly statuses = new Map<string, RefreshStatus>();
  private readonly listeners: TokenUpdateListener[] = [];
  private readonly handOverListeners: HandOverListener[] = [];
  /** Pending hand-overs (revoke-previous): with one replica there is nobody to wait for. */
  private readonly handOvers = new Map<string, number>();
  /** The last hand-over its holder ended without a token. */
  private readonly ended = new Map<string, number>();

  read(profile: string): Promise<TokenRecord | undefined> {
    const record = this.records.get(profile);
    if (record && keptUntil(record) <= Date.now()) this.records.delete(profile);
    const stored = this.records.get(profile);
    for (const listener of this.handOverListeners)
      listener(profile, this.handOvers.get(profile), this.ended.get(profile));
    return Promise.resolve(stored);
  }

  acquireLock(profile: string, ttlMs: number, fenceFloor: number): Promise<LockLease | undefined> {
    const now = Date.now();
    const held = this.locks.get(profile);
    if (held && held.expiresAt > now) return Promise.resolve(undefined);
    const owner = randomBytes(16).toString('hex');
    this.locks.set(profile, { owner, expiresAt: now + ttlMs });
    const fence = Math.max(this.fences.get(profile) ?? 0, this.records.get(profile)?.fence ?? 0, fenceFloor) + 1;
    this.fences.set(profile, fence);
    return Promise.resolve({ profile, owner, fence });
  }

  releaseLock(lease: LockLease): Promise<boolean> {
    const held = this.locks.get(lease.profile);
    const ours = held?.owner === lease.owner && held.expiresAt > Date.now();
    if (ours) this.locks.delete(lease.profile);
    return Promise.resolve(ours);
  }

  holdLock(lease: LockLease, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(lease.profile);
    const ours = held?.owner === lease.owner && held.expiresAt > Date.now();
    if (held && ours) held.expiresAt = Date.now() + ttlMs;
    return Promise.resolve(ours);
  }

  write(record: TokenRecord): Promise<boolean> {
    const stored = this.records.get(record.profile)?.fence ?? 0;
    const counter = this.fences.get(record.profile) ?? 0;
    if (record.fence <= stored || record.fence < counter) return Promise.resolve(false);
    this.records.set(record.profile, record);
    this.fences.set(record.profile, Math.max(counter, record.fence));
    if ((this.handOvers.get(record.profile) ?? 0) <= record.fence) this.handOvers.delete(record.profile);
    return Promise.resolve(true);
  }

  readStatus(profile: string): Promise<RefreshStatus | undefined> {
    return Promise.resolve(this.statuses.get(profile));
  }

  writeStatus(profile: string, status: RefreshStatus): Promise<void> {
    this.statuses.set(profile, status);
    return Promise.resolve();
  }

  publish(event: TokenEvent): Promise<void> {
    for (const listener of this.listeners) listener(event);
    return Promise.resolve();
  }

  onReconnect(): void {
    // Never disconnected.
  }

  onUpdate(listener: TokenUpdateListener): void {
    this.listeners.push(listener);
  }

  onHandOverSeen(listener: HandOverListener): void {
    this.handOverListeners.push(listener);
  }

  heartbeat(): Promise<void> {
    return Promise.resolve();
  }

  leave(): Promise<void> {
    return Promise.resolve();
  }

  beginHandOver(lease: LockLease): Promise<number> {
    const ours = this.current(lease);
    if (ours) this.handOvers.set(lease.profile, lease.fence);
    return Promise.resolve(ours ? 0 : -1);
  }

  /** Nobody else to wait for: only the lock and the stored fence tell. */
  registryWait(lease: LockLease): Promise<number> {
    return Promise.resolve(this.current(lease) ? 0 : -1);
  }

  /** The lease holds the lock, and no record of its fence or newer is stored. */
  private current(lease: LockLease): boolean {
    const held = this.locks.get(lease.profile);
    const stored = this.records.get(lease.profile)?.fence ?? 0;
    return held?.owner === lease.owner && held.expiresAt > Date.now() && stored < lease.fence;
  }

  acknowledgeHandOver(): Promise<void> {
    return Promise.resolve();
  }

  unacknowledged(): Promise<string[]> {
    return Promise.resolve([]);
  }

  endHandOver(profile: string, fence: number): Promise<boolean> {
    const ours = this.handOvers.get(profile) === fence;
    if (ours) {
      this.handOvers.delete(profile);
      this.ended.set(profile, fence);
    }
    return Promise.resolve(ours);
  }
}
