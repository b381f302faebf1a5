import type { IncomingMessage } from 'node:http';
import { ProxyBodyTooLargeError } from './proxy.errors';

/** Bodies up to this size are kept whole, so the request can be sent again after a 401. */
export const REPLAY_BYTES = 64 * 1024;

/**
 * A request body as the proxy sends it: none, whole (it fit the replay buffer: replayable),
 * or streamed (the first REPLAY_BYTES read, the rest read as Proof takes it, never kept).
 */
export type ProxyBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'whole'; readonly bytes: Buffer }
  | { readonly kind: 'stream'; readonly chunks: AsyncIterable<Buffer> };

export const NO_BODY: ProxyBody = Object.freeze({ kind: 'none' });

/** RFC 9112 §6.3: a request has a body only with Content-Length or Transfer-Encoding. */
export const hasBody = (request: IncomingMessage): boolean =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

/** The rest of a body after `head`, counted against `maxBytes` (413 past it) as it streams. */
async function* rest(head: Buffer[], request: IncomingMessage, read: number, maxBytes: number) {
  yield* head;
  let total = read;
  for await (const chunk of request) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) throw new ProxyBodyTooLargeError();
    yield chunk as Buffer;
  }
}

/**
 * Reads the body up to REPLAY_BYTES: the whole of a small body, or the start of a large one,
 * whose rest streams from the caller to Proof with backpressure. A declared Content-Length
 * above `maxBytes` is refused before anything is read.
 */
export function readProxyBody(request: IncomingMessage, maxBytes: number): Promise<ProxyBody> {
  if (!hasBody(request)) return Promise.resolve(NO_BODY);
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) return Promise.reject(new ProxyBodyTooLargeError());
  return new Promise((resolve, reject) => {
    const head: Buffer[] = [];
    let read = 0;
    const stop = () => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      head.push(chunk);
      read += chunk.length;
      if (read > maxBytes) {
        stop();
        reject(new ProxyBodyTooLargeError());
      } else if (read > REPLAY_BYTES) {
        // Paused before the listener goes: a flowing stream with no listener drops data.
        request.pause();
        stop();
        resolve({ kind: 'stream', chunks: rest(head, request, read, maxBytes) });
      }
    };
    const onEnd = () => {
      stop();
      resolve({ kind: 'whole', bytes: Buffer.concat(head, read) });
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onAborted = () => onError(new Error('request aborted'));
    request.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
