import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface EncryptionKey {
  readonly id: string;
  /** 32 bytes (AES-256). */
  readonly key: Buffer;
}

interface Envelope {
  v: 1;
  kid: string;
  iv: string;
  ct: string;
  tag: string;
}

export class TokenDecryptionError extends Error {
  constructor(readonly reason: 'malformed' | 'unknown_key' | 'authentication_failed') {
    super(`stored token record rejected: ${reason}`);
    this.name = 'TokenDecryptionError';
  }
}

/**
 * AES-256-GCM envelopes for token records at rest. A random 96-bit IV per write (NIST SP
 * 800-38D §8.2.2); the profile and fence are bound as additional data, so a record moved to
 * another profile or given another fence fails authentication. The first key encrypts, every
 * key decrypts: add a key, make it first, drop the old one once no record uses it.
 */
export class TokenCipher {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(private readonly keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('TokenCipher needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  seal(plaintext: string, additionalData: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(additionalData, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      v: 1,
      kid: id,
      iv: iv.toString('base64'),
      ct: ct.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
    return JSON.stringify(envelope);
  }

  open(sealed: string, additionalData: string): string {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(sealed) as Envelope;
    } catch {
      throw new TokenDecryptionError('malformed');
    }
    if (
      envelope?.v !== 1 ||
      typeof envelope.iv !== 'string' ||
      typeof envelope.ct !== 'string' ||
      typeof envelope.tag !== 'string'
    ) {
      throw new TokenDecryptionError('malformed');
    }
    const key = this.byId.get(envelope.kid);
    if (!key) throw new TokenDecryptionError('unknown_key');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
      decipher.setAAD(Buffer.from(additionalData, 'utf8'));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptionError('authentication_failed');
    }
  }
}
