import { randomBytes } from 'node:crypto';
import { TokenCipher, TokenDecryptionError } from './token-cipher';

const keyA = { id: 'a', key: randomBytes(32) };
const keyB = { id: 'b', key: randomBytes(32) };

describe('TokenCipher', () => {
  it('round-trips, with a fresh IV each time and no plaintext in the envelope', () => {
    const cipher = new TokenCipher([keyA]);
    const one = cipher.seal('secret-token-value', 'default|1');
    const two = cipher.seal('secret-token-value', 'default|1');
    expect(one).not.toBe(two);
    expect(one).not.toContain('secret-token-value');
    expect(JSON.parse(one)).toMatchObject({ v: 1, kid: 'a' });
    expect(Buffer.from(JSON.parse(one).iv as string, 'base64')).toHaveLength(12);
    expect(cipher.open(one, 'default|1')).toBe('secret-token-value');
  });

  it('reads records written under the old key after rotation; writes with the new first key', () => {
    const old = new TokenCipher([keyA]).seal('t', 'p|3');
    const rotated = new TokenCipher([keyB, keyA]);
    expect(rotated.open(old, 'p|3')).toBe('t');
    expect(JSON.parse(rotated.seal('t', 'p|4')).kid).toBe('b');
    expect(() => new TokenCipher([keyB]).open(old, 'p|3')).toThrow(new TokenDecryptionError('unknown_key'));
  });

  it('rejects a record bound to another profile or fence, or tampered with', () => {
    const cipher = new TokenCipher([keyA]);
    const sealed = cipher.seal('t', 'alpha|7');
    expect(() => cipher.open(sealed, 'beta|7')).toThrow(TokenDecryptionError);
    expect(() => cipher.open(sealed, 'alpha|8')).toThrow(TokenDecryptionError);
    const envelope = JSON.parse(sealed) as { ct: string };
    const flipped = Buffer.from(envelope.ct, 'base64');
    flipped[0] ^= 1;
    expect(() => cipher.open(JSON.stringify({ ...envelope, ct: flipped.toString('base64') }), 'alpha|7')).toThrow(
      new TokenDecryptionError('authentication_failed'),
    );
    expect(() => cipher.open('not json', 'alpha|7')).toThrow(new TokenDecryptionError('malformed'));
  });
});
