import type { IncomingMessage } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BrokerError, InvalidRequestError } from './broker.errors';
import { jsonShapeProblem, type JsonLimits } from './json-shape';

/**
 * The broker's bodies are flat objects of two fields: the limits leave room for a client's
 * extra fields (refused by validation, with a message naming each) while bounding the work
 * of every parse and the length of that message. The size is bounded before this by the
 * adapter's bodyLimit (16 KB, refused as the body streams in).
 */
export const JSON_BODY_LIMITS: JsonLimits = { maxDepth: 8, maxMembers: 64 };

export class UnsupportedMediaTypeError extends BrokerError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  constructor() {
    super('Request bodies are JSON, sent with one Content-Type: application/json');
  }
}

/** Node keeps the first of repeated Content-Type lines, where a proxy may have read the last. */
function repeatedContentType(request: IncomingMessage): boolean {
  const raw = request.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'content-type' && ++seen > 1) return true;
  return false;
}

/**
 * JSON is the only body the broker reads (the app is created with Nest's body parsers off):
 * any other media type, Fastify's text/plain included, is a 415. A JSON body must fit
 * JSON_BODY_LIMITS before Fastify's own parser (with its prototype-poisoning check) runs,
 * so a deep or wide body is a 400 like any other that fails to parse, never a stack overflow.
 */
export function registerJsonBodyParser(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (repeatedContentType(request.raw)) return done(new UnsupportedMediaTypeError(), undefined);
    const problem = jsonShapeProblem(body as string, JSON_BODY_LIMITS);
    if (problem !== undefined) return done(new InvalidRequestError(problem), undefined);
    void parseJson(request, body as string, done);
  });
}
