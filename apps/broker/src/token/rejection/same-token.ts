import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Per process: the digests are only ever compared with each other, never stored or shown. */
const KEY = randomBytes(32);

const digest = (token: string): Buffer => createHmac('sha256', KEY).update(token, 'utf8').digest();

/**
 * Whether a token a caller sent is the one we hold, in a time that says nothing about how
 * much of it matched: both are compared as fixed-length HMACs, in constant time.
 */
export const sameToken = (sent: string, held: string): boolean => timingSafeEqual(digest(sent), digest(held));
