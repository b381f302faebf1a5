/** A Proof token as the broker stores it (per profile). Times are Unix milliseconds on our clock. */
export interface TokenRecord {
  readonly profile: string;
  readonly accessToken: string;
  readonly tokenType: string;
  readonly scope: string;
  /** Upstream `created_at` (Unix seconds, Proof's clock): reported, never used for expiry. */
  readonly createdAt: number;
  readonly receivedAt: number;
  /** Proof's clock from the `Date` header of the answer, when present (skew reporting). */
  readonly serverDate?: number;
  /** 1-based position, in the profile's list, of the client secret Proof accepted. */
  readonly secretPosition?: number;
  /** `receivedAt + expires_in`: `expires_in` is seconds remaining, so network delay only shortens it. */
  readonly expiresAt: number;
  /** Fence of the lock lease that wrote this record: strictly increasing per profile. */
  readonly fence: number;
  readonly refreshedBy: string;
  /** When replicas should start trying to replace it (shared, so every replica agrees). */
  readonly refreshAfter: number;
}

/**
 * Until when a store keeps `record`: its expiry, or for a token Proof reused, its refresh
 * point just past the expiry. Dropped at expiry, a reused token's record would take with it
 * the fact that asking Proof before `refreshAfter` only returns the same token again, and
 * every replica's next caller would ask.
 */
/** `expires_in` as the broker answers it: whole seconds left, never negative. */
export const expiresInSeconds = (record: Pick<TokenRecord, 'expiresAt'>, now: number): number =>
  Math.max(0, Math.floor((record.expiresAt - now) / 1000));

export const keptUntil = (record: TokenRecord): number => Math.max(record.expiresAt, record.refreshAfter);
