/** Typed access to the emulator's admin API (`/_emulator`), for assertions: the emulator's own types. */
import type { EmulatorStats } from '../../apps/proof-emulator/src/admin/emulator-stats.service';
import type { TokenLookup } from '../../apps/proof-emulator/src/admin/emulator-admin.service';

export type { EmulatorStats, TokenLookup };

async function call<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator admin ${method} ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export const emulatorAdmin = (base: string) => ({
  stats: () => call<EmulatorStats>(base, 'GET', '/stats'),
  fault: (fault: {
    mode: '500' | '503' | '429' | 'latency' | 'drop';
    count: number;
    retryAfterSeconds?: number;
    latencyMs?: number;
  }) => call<unknown>(base, 'POST', '/faults', fault),
  clearFaults: () => call<{ cleared: number }>(base, 'DELETE', '/faults'),
  policy: (policy: 'new' | 'reuse' | 'revoke-previous') => call<unknown>(base, 'PUT', '/policy', { policy }),
  reset: () => call<unknown>(base, 'POST', '/reset'),
  revokeAll: () => call<{ revoked: number }>(base, 'POST', '/revoke-all'),
  /** Clock skew: Proof's Date header `dateOffsetMs` from the host's clock (0: none). */
  clock: (dateOffsetMs: number) => call<{ dateOffsetMs: number }>(base, 'PUT', '/clock', { dateOffsetMs }),
  /** Replaces an application's secrets (add a secret, or revoke one): tokens already issued stay valid. */
  setSecrets: (uid: string, secrets: string[]) =>
    call<unknown>(base, 'PUT', `/clients/${encodeURIComponent(uid)}/secrets`, { secrets }),
  lookup: async (tokens: string[]) =>
    (await call<{ tokens: TokenLookup[] }>(base, 'POST', '/tokens/lookup', { tokens })).tokens,
});

/**
 * A revoked token answered by a replica serving on Proof's word: token/info called it valid
 * after the request was sent (`startedAt`), then Proof revoked it before the answer arrived.
 * A replica past its presence lease serves on such a word, a round trip old (RELIABILITY.md,
 * "What is not guaranteed"). Never true for an expired or unknown token.
 */
export const servedOnProofsWord = (t: TokenLookup, startedAt: number): boolean =>
  t.revokedAtMs !== null && t.vouchedAtMs !== null && t.vouchedAtMs >= startedAt && t.vouchedAtMs <= t.revokedAtMs;

/** Whether a token was issued, unexpired and unrevoked at `at` (ms), per the emulator. */
export const validAt = (t: TokenLookup, at: number): boolean =>
  t.known &&
  (t.issuedAtMs ?? Infinity) <= at &&
  (t.expiresAtMs ?? 0) > at &&
  (t.revokedAtMs === null || t.revokedAtMs > at);
