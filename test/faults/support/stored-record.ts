import { TokenCipher } from '../../../apps/broker/src/crypto/token-cipher';
import type { TokenRecord } from '../../../apps/broker/src/store/token-record';

/** The broker's own key syntax: `<key id>:<base64 of 32 bytes>`, comma- or space-separated. */
function cipherFor(keys: string | undefined): TokenCipher | undefined {
  const parsed = (keys ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const [id, key] = entry.split(':');
      return { id, key: Buffer.from(key, /[-_]/.test(key) ? 'base64url' : 'base64') };
    });
  return parsed.length > 0 ? new TokenCipher(parsed) : undefined;
}

/**
 * Reads a stored `{broker:<profile>}:token` hash as the replicas do: the record is sealed
 * with the cluster's encryption key, bound to the profile and fence. A plain JSON record
 * (a broker without encryption at rest) is read as is.
 */
export class StoredRecordReader {
  private readonly cipher: TokenCipher | undefined;

  constructor(encryptionKeys: string | undefined) {
    this.cipher = cipherFor(encryptionKeys);
  }

  read(profile: string, fence: string | null, stored: string | null): TokenRecord | undefined {
    if (!stored || fence === null) return undefined;
    const parsed = JSON.parse(stored) as Partial<TokenRecord> & { ct?: string };
    if (parsed.accessToken !== undefined || !this.cipher) return parsed as TokenRecord;
    return JSON.parse(this.cipher.open(stored, `${profile}|${fence}`)) as TokenRecord;
  }
}
