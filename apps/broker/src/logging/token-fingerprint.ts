import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { BrokerConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';

/**
 * Short, non-reversible token fingerprints for logs and /token/info: HMAC-SHA256 under a key
 * derived (HKDF) from the primary encryption key, so replicas agree and someone holding only
 * logs cannot test guesses. On the embedded store (no keys) the key is random per process.
 * Rotating the primary encryption key changes the fingerprints.
 */
@Injectable()
export class TokenFingerprinter {
  private readonly key: Buffer;

  constructor(@InjectBrokerConfig() config: BrokerConfig) {
    const primary = config.encryptionKeys[0]?.key;
    this.key = primary
      ? Buffer.from(hkdfSync('sha256', primary, Buffer.alloc(0), 'token-broker fingerprint', 32))
      : randomBytes(32);
  }

  /** Tokens change once per refresh window: GET /token must not hash on every request. */
  private readonly cache = new Map<string, string>();

  of(token: string): string {
    let fingerprint = this.cache.get(token);
    if (fingerprint === undefined) {
      // A handful of live tokens per profile at most: forget them all now and then.
      if (this.cache.size >= 64) this.cache.clear();
      fingerprint = createHmac('sha256', this.key).update(token).digest('hex').slice(0, 12);
      this.cache.set(token, fingerprint);
    }
    return fingerprint;
  }
}
