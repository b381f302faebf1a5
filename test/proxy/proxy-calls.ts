import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { fidelityChunk } from '../../apps/proof-emulator/src/fidelity/fidelity-body';

/** What the emulator's echo endpoint saw (apps/proof-emulator/src/fidelity/fidelity-routes.ts). */
export interface Echo {
  readonly method: string;
  readonly path: string;
  readonly query: string | null;
  /** Raw [name, value, ...] as received. */
  readonly headers: string[];
  readonly body: { bytes: number; sha256: string };
}

export const ECHO_PATH = '/proof/_emulator/fidelity/echo';

/** The values of every field named `name` (any case), in order. */
export function valuesOf(raw: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) values.push(raw[i + 1]);
  return values;
}

/** `bytes` of the emulator's generated body, as a stream of 64 KiB chunks, and its SHA-256. */
export function generatedBody(bytes: number): { stream: Readable; sha256: string } {
  const hash = createHash('sha256');
  for (let offset = 0; offset < bytes; offset += 64 * 1024)
    hash.update(fidelityChunk(offset, Math.min(65536, bytes - offset)));
  function* chunks() {
    for (let offset = 0; offset < bytes; offset += 64 * 1024)
      yield fidelityChunk(offset, Math.min(65536, bytes - offset));
  }
  return { stream: Readable.from(chunks()), sha256: hash.digest('hex') };
}

/** A call to the broker's proxy with the caller key; headers as given (undici sends them as they are). */
export async function proxyCall(
  base: string,
  path: string,
  key: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | Readable | string } = {},
) {
  const response = await request(`${base}${path}`, {
    method: (options.method ?? 'GET') as 'GET',
    headers: { authorization: `Bearer ${key}`, ...options.headers },
    body: options.body,
  });
  return response;
}

/** A request written byte for byte on a new connection (clients normalise or refuse most tricks), and its answer. */
export function rawExchange(
  url: string,
  request: string | Buffer,
): Promise<{ status: number; head: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that answers before reading everything (431, 413) may reset a client still writing.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' || chunks.length === 0) reject(error);
    });
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer in 15 s')));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, head: text.slice(0, split), body: text.slice(split + 4) });
    });
  });
}
