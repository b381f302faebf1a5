import { randomBytes } from 'node:crypto';

/**
 * `npm run broker:encryption-key`: prints a new AES-256 key entry for BROKER_ENCRYPTION_KEYS.
 * To rotate: put the new entry first, keep the old ones after it until every record was rewritten.
 */
const id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(2).toString('hex')}`;
process.stdout.write(`${id}:${randomBytes(32).toString('base64')}\n`);
