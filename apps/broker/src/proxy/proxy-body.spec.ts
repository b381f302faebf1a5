import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { ProxyBodyTooLargeError } from './proxy.errors';
import { readProxyBody, REPLAY_BYTES } from './proxy-body';

/** A request stream with `headers`, fed `chunks` then ended. */
function requestOf(headers: Record<string, string>, chunks: Buffer[]): IncomingMessage {
  const stream = new PassThrough();
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

const collect = async (chunks: AsyncIterable<Buffer>) => {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
};

describe('readProxyBody', () => {
  it('has no body without Content-Length or Transfer-Encoding (or with Content-Length: 0)', async () => {
    expect(await readProxyBody(requestOf({}, []), 1000)).toEqual({ kind: 'none' });
    expect(await readProxyBody(requestOf({ 'content-length': '0' }, []), 1000)).toEqual({ kind: 'none' });
  });

  it('keeps a body that fits the replay buffer whole', async () => {
    const bytes = Buffer.alloc(REPLAY_BYTES, 1);
    const body = await readProxyBody(
      requestOf({ 'transfer-encoding': 'chunked' }, [bytes.subarray(0, 10), bytes.subarray(10)]),
      1e9,
    );
    expect(body).toEqual({ kind: 'whole', bytes });
  });

  it('streams a larger body, its start included, byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 3 * REPLAY_BYTES }, (_v, i) => i % 251));
    const chunks = [0, 1, 2, 3, 4, 5].map((i) => bytes.subarray((i * bytes.length) / 6, ((i + 1) * bytes.length) / 6));
    const body = await readProxyBody(requestOf({ 'content-length': String(bytes.length) }, chunks), 1e9);
    if (body.kind !== 'stream') throw new Error(`expected a stream, got ${body.kind}`);
    expect((await collect(body.chunks)).equals(bytes)).toBe(true);
  });

  it('refuses a declared length over the limit before reading', async () => {
    await expect(readProxyBody(requestOf({ 'content-length': '1001' }, []), 1000)).rejects.toThrow(
      ProxyBodyTooLargeError,
    );
  });

  it('refuses a body over the limit while it streams', async () => {
    const limit = 2 * REPLAY_BYTES;
    const chunks = [0, 1, 2, 3].map(() => Buffer.alloc(REPLAY_BYTES));
    const body = await readProxyBody(requestOf({ 'transfer-encoding': 'chunked' }, chunks), limit);
    if (body.kind !== 'stream') throw new Error(`expected a stream, got ${body.kind}`);
    await expect(collect(body.chunks)).rejects.toThrow(ProxyBodyTooLargeError);
  });
});
