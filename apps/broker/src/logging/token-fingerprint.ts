import { createHash } from 'node:crypto';

/** First 12 hex characters of the token's SHA-256: tells tokens apart, cannot be reversed. */
export const tokenFingerprint = (token: string): string =>
  createHash('sha256').update(token).digest('hex').slice(0, 12);
