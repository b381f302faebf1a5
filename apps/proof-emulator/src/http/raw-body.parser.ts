import type { FastifyInstance } from 'fastify';

/** Doorkeeper bodies are tiny; anything bigger is abuse, answered 413 by Fastify. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Replaces Fastify's parsers by one catch-all that keeps the body as a string. Fastify
 * would otherwise answer unknown content types with its own 415 and body, while
 * Doorkeeper's enforce_content_type answers `{}`: the handlers decide from the raw body.
 */
export function registerRawBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => {
    done(null, body);
  });
}
