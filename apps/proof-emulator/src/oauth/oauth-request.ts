import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** What the OAuth endpoints read from a request, without Fastify types leaking into services. */
export interface OAuthRequest {
  /** Media type without parameters (`; charset=...`), lower case, as Rails' `media_type`. */
  readonly mediaType: string | undefined;
  readonly body: string;
  readonly authorization: string | undefined;
}

export function toOAuthRequest(request: FastifyRequest): OAuthRequest {
  return {
    mediaType: request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined,
    body: typeof request.body === 'string' ? request.body : '',
    authorization: request.headers.authorization,
  };
}

/** Injects the handler's OAuthRequest. */
export const OAuthRequestParam = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  toOAuthRequest(context.switchToHttp().getRequest<FastifyRequest>()),
);
