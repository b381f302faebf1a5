import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** The byte at `offset` of a generated body: a repeating 251-byte ramp, so a dropped or moved chunk shows. */
export const fidelityByte = (offset: number): number => offset % 251;

/** `length` bytes of the generated body starting at `offset`. */
export function fidelityChunk(offset: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) chunk[i] = fidelityByte(offset + i);
  return chunk;
}

/** Hex SHA-256 and length of a stream, read as it comes (nothing kept). */
export async function hashStream(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    hash.update(buffer);
  }
  return { bytes, sha256: hash.digest('hex') };
}
