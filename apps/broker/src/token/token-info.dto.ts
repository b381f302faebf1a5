/** 200 body of GET /token/info: what ops dashboards need, never the token itself. */
export class TokenInfoDto {
  profile!: string;
  /** False when this replica holds no token with at least the serving floor left. */
  servable!: boolean;
  expires_at!: string | null;
  expires_in!: number | null;
  /** Upstream issue time (Proof's clock). */
  created_at!: string | null;
  /** Proof's clock minus ours at the last refresh, in seconds (from `created_at`). */
  clock_skew_seconds!: number | null;
  scope!: string | null;
  fence!: number | null;
  /** First 12 hex characters of the token's SHA-256: tells tokens apart, cannot be reversed. */
  fingerprint!: string | null;
  last_refresh!: {
    at: string;
    replica: string;
    outcome: string;
    error: string | null;
  } | null;
  next_refresh_at!: string | null;
  next_attempt_not_before!: string | null;
  consecutive_failures!: number;
  store!: 'redis' | 'memory';
}
