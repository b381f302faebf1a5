import type { TokenRecord } from './token-record';

/** Proof of holding a profile's refresh lock: a random owner id and the fence handed out with it. */
export interface LockLease {
  readonly profile: string;
  readonly owner: string;
  readonly fence: number;
}

export type RefreshOutcome = 'refreshed' | 'reused' | 'transient_failure' | 'permanent_failure' | 'stale_write';

/** What every replica shows in /token/info about the last refresh of a profile. */
export interface RefreshStatus {
  readonly lastAttemptAt: number;
  readonly lastAttemptBy: string;
  readonly lastOutcome: RefreshOutcome;
  /** A stable code (e.g. `invalid_client`, `upstream_5xx`), never an upstream message. */
  readonly lastError?: string;
  readonly consecutiveFailures: number;
  /** No replica tries again before this (backoff, or a permanent failure's hold). */
  readonly nextAttemptAt?: number;
}

/**
 * `written`: a record with this fence is in the store. `handover`: the lock holder is about
 * to ask Proof for a token that revokes the current one (revoke-previous), so replicas stop
 * serving the current token until `written` or `handover_end` (Proof issued nothing). The
 * hand-over is also recorded in the store (beginHandOver), messages only make it faster.
 */
export interface TokenEvent {
  readonly profile: string;
  readonly fence: number;
  readonly kind: 'written' | 'handover' | 'handover_end';
}

export type TokenUpdateListener = (event: TokenEvent) => void;

/**
 * What a read of the token hash found about the hand-over (revoke-previous): the fence of the
 * pending one, if any, and of the last one its holder ended without a token (END_HANDOVER),
 * if any. Finding none pending ends nothing: after Redis lost its data a read finds none
 * either, while the holder's request may be revoking the token.
 */
export type HandOverListener = (profile: string, pending: number | undefined, ended: number | undefined) => void;

/**
 * Shared state of the broker: token records, the fenced refresh lock, refresh status and
 * update notifications. Redis in production; an in-memory twin for a single replica.
 */
export abstract class TokenStore {
  abstract readonly kind: 'redis' | 'memory';
  /** False while the store cannot take commands (Redis disconnected). */
  abstract get ready(): boolean;
  /**
   * True from a failed connection attempt (or a lost connection) until the store is ready
   * again: an outage. Not while a first connection is still being made.
   */
  abstract get unreachable(): boolean;
  abstract read(profile: string): Promise<TokenRecord | undefined>;
  /** Takes the lock if free; the fence is above the counter, the stored record and `fenceFloor`. */
  abstract acquireLock(profile: string, ttlMs: number, fenceFloor: number): Promise<LockLease | undefined>;
  /** Compare-and-delete: only the owner's lease releases the lock. */
  abstract releaseLock(lease: LockLease): Promise<boolean>;
  /** Keeps the lock for `ttlMs` more, if still ours: a failed refresh holds it as a shared backoff. */
  abstract holdLock(lease: LockLease, ttlMs: number): Promise<boolean>;
  /** Compare-and-set on the fence: false when a newer fence was handed out or written. */
  abstract write(record: TokenRecord): Promise<boolean>;
  abstract readStatus(profile: string): Promise<RefreshStatus | undefined>;
  abstract writeStatus(profile: string, status: RefreshStatus): Promise<void>;
  abstract publish(event: TokenEvent): Promise<void>;
  abstract onUpdate(listener: TokenUpdateListener): void;
  /** Called each time the store (re)connects; never on the embedded store. */
  abstract onReconnect(listener: () => void): void;
  /** Called by every read() with the hand-over state it found, before read() resolves. */
  abstract onHandOverSeen(listener: HandOverListener): void;
  /** This replica is present (it serves, so a hand-over waits for it) for `ttlMs`. */
  abstract heartbeat(profile: string, replica: string, ttlMs: number): Promise<void>;
  abstract leave(profile: string, replica: string): Promise<void>;
  /**
   * revoke-previous: records the lease's fence as a hand-over by `replica`, if the lease still
   * holds the lock. -1: the lock is not ours; > 0: ms to wait (replica registry too young); 0:
   * done. The holder of a hand-over it replaces counts as having acknowledged.
   */
  abstract beginHandOver(
    lease: LockLease,
    presenceTtlMs: number,
    recordTtlMs: number,
    replica: string,
  ): Promise<number>;
  /**
   * revoke-previous, a lock holder with no live token to hand over: -1 if the lock is not ours
   * or a record of its fence or newer is stored (see beginHandOver), > 0: ms to wait (registry
   * too young: replicas holding the token Redis lost may not have written it back yet), 0: it
   * may ask Proof.
   */
  abstract registryWait(lease: LockLease, presenceTtlMs: number): Promise<number>;
  abstract acknowledgeHandOver(profile: string, fence: number, replica: string, ttlMs: number): Promise<void>;
  /** Present replicas other than `holder` that have not acknowledged the hand-over of `fence`. */
  abstract unacknowledged(profile: string, fence: number, holder: string): Promise<string[]>;
  /**
   * Ends the hand-over of `fence` (if still pending): Proof issued nothing, the old token
   * stands. False: a newer hand-over or record replaced it, the old token stays unserved.
   */
  abstract endHandOver(profile: string, fence: number): Promise<boolean>;
}
