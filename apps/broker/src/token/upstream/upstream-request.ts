import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Proof's answer to a token or token/info request: small JSON, read whole. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined if it was not JSON. */
  readonly body: unknown;
}

export interface UpstreamRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** One deadline for connect, headers and body: a server that trickles its answer is a timeout too. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** No token answer comes near this; a longer one is cut off and read as unreadable. */
const MAX_BODY_BYTES = 64 * 1024;

/** The deadline passed (`name` as AbortSignal.timeout's reason). */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor() {
    super('no answer from Proof within the deadline');
  }
}

/**
 * One request to Proof's OAuth endpoints on node:http(s), not the global fetch: fetch loads
 * Node's own copy of undici and compiles its WebAssembly HTTP parser, about 15-20 MB of RSS in
 * every replica that ever refreshes (docs/BENCHMARKS.md, RSS), where node:http's parser is
 * native and already loaded. Redirects are not followed (a 3xx is an answer like any other).
 * Rejects with the socket's own error (its `code`: ECONNREFUSED...), an UpstreamTimeoutError,
 * or `signal`'s reason.
 */
export function sendUpstream(url: URL, options: UpstreamRequest): Promise<UpstreamAnswer> {
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    // Aborted already (the lock lease ran out before the request): nothing is sent.
    if (options.signal?.aborted) return reject(abortReason(options.signal));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = send(url, { method: options.method, headers });
    // Listened to at once: a request destroyed before it has a listener (an abort) emits
    // 'error' on its own, which with no listener ends the process.
    req.on('error', (error) => finish(error));
    let settled = false;
    const finish = (error: Error | undefined, answer?: UpstreamAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (answer) resolve(answer);
      else {
        req.destroy();
        reject(error ?? new Error('no answer'));
      }
    };
    const timer = setTimeout(() => finish(new UpstreamTimeoutError()), options.timeoutMs);
    const onAbort = () => finish(abortReason(options.signal!));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      res.on('error', (error) => finish(error));
      res.on('close', () => {
        if (!res.complete) finish(new Error('Proof closed the connection mid-answer'));
      });
      res.on('end', () => {
        let body: unknown;
        if (length <= MAX_BODY_BYTES) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
        }
        finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.end(options.body);
  });
}

const abortReason = (signal: AbortSignal): Error => {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
};
