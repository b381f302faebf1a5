import type { TokenRecord } from '../token/token-record';

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
 * serving the current token until `written` or `handover_end` (the refresh failed).
 */
export interface TokenEvent {
  readonly profile: string;
  readonly fence: number;
  readonly kind: 'written' | 'handover' | 'handover_end';
}

export type TokenUpdateListener = (event: TokenEvent) => void;

/**
 * Shared state of the broker: token records, the fenced refresh lock, refresh status and
 * update notifications. Redis in production; an in-memory twin for a single replica.
 */
export abstract class TokenStore {
  abstract readonly kind: 'redis' | 'memory';
  /** False while the store cannot take commands (Redis disconnected). */
  abstract get ready(): boolean;
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
}
