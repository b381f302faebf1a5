import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorBody } from './error-response';

/**
 * Request head limit (request line + headers). Caller keys are 43 characters; Node's default
 * is 16 KiB. Anything above gets 431 from Node's parser, before any of our code runs.
 */
export const MAX_HEADER_BYTES = 8 * 1024;

const CLIENT_ERRORS: Record<string, { status: number; body: ErrorBody }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    body: { error: 'headers_too_large', message: `Request line and headers must fit in ${MAX_HEADER_BYTES} bytes` },
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, body: { error: 'request_timeout', message: 'Request timed out' } },
};
const MALFORMED = { status: 400, body: { error: 'invalid_request', message: 'Malformed HTTP request' } };

/**
 * Node's `clientError` (a request it could not parse: oversized head, NUL or bare CR in a
 * header, bad method...): answered in the broker's `{error, message}` shape instead of
 * Fastify's `{error: "Bad Request", statusCode}`. Nothing of the request is logged or echoed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body } = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  const json = JSON.stringify(body);
  if (!socket.writable) return void socket.destroy();
  // end(), not destroy(): closing a socket with unread input (the rest of a 100 KB header)
  // sends an RST that can overtake the answer. The client gets a second to read it.
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** Fastify's routing errors (an undecodable path like `/%ff`): Fastify's body would echo the path. */
export function answerFrameworkError(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .status(400)
    .header('cache-control', 'no-store')
    .send({ error: 'invalid_request', message: 'Malformed URL' } satisfies ErrorBody);
}
