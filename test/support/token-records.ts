import type { TokenRecord } from '../../apps/broker/src/store/token-record';

/** A plausible stored record for `profile` with `fence`, valid for `lifetimeMs` from now. */
export function makeRecord(
  profile: string,
  fence: number,
  overrides: Partial<TokenRecord> = {},
  lifetimeMs = 60_000,
): TokenRecord {
  const receivedAt = Date.now();
  return {
    profile,
    accessToken: `token-${profile}-${fence}`,
    tokenType: 'Bearer',
    scope: 'read write',
    createdAt: Math.floor(receivedAt / 1000),
    receivedAt,
    expiresAt: receivedAt + lifetimeMs,
    fence,
    refreshedBy: 'test',
    refreshAfter: receivedAt + lifetimeMs / 2,
    ...overrides,
  };
}
