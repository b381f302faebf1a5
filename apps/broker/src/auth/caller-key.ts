import { hash, randomBytes } from 'node:crypto';
import type { CallerConfig, Role } from '../config/broker-config';

/**
 * SHA-256 of the key exactly as sent after `Bearer `, lowercase hex: all the broker stores.
 * One-shot (no Hash object, no Buffer): it runs on every GET /token.
 */
export const hashCallerKey = (key: string): string => hash('sha256', key, 'hex');

/** A new random caller key (256 bits, base64url) and the BROKER_CALLERS_FILE entry for it. */
export function generateCallerKey(
  name: string,
  roles: readonly Role[] = ['token:read'],
  profiles: readonly string[] = ['default'],
): { key: string; entry: CallerConfig } {
  const key = randomBytes(32).toString('base64url');
  return { key, entry: { name, keySha256: [hashCallerKey(key)], roles, profiles } };
}
