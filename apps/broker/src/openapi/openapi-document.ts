import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodyDto } from '../http/error-body.dto';
import { TokenResponseDto } from '../token/serve/token-response.dto';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodyDto) } } },
});

/**
 * The OpenAPI document: Nest's routes from their decorators, plus GET /token, which is a
 * request listener in front of Fastify and a plain Fastify route (token-request-listener.ts,
 * token-route.ts) and so is described here by hand.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Proof token broker')
    .setDescription('Hands out the current Proof OAuth token to authorized internal callers.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Caller key' }, 'caller-key')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [TokenResponseDto, ErrorBodyDto] });
  document.paths['/token'] = {
    get: {
      operationId: 'getToken',
      summary: 'The current token of a profile (role token:read)',
      security: [{ 'caller-key': [] }],
      parameters: [
        { name: 'profile', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'min_ttl', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 86400 } },
      ],
      responses: {
        '200': {
          description: 'Headers Cache-Control: no-store and Pragma: no-cache',
          content: { 'application/json': { schema: { $ref: getSchemaPath(TokenResponseDto) } } },
        },
        '400': error('invalid_request, profile_required'),
        '401': error('unauthenticated'),
        '403': error('forbidden'),
        '404': error('unknown_profile'),
        '503': error('token_unavailable, min_ttl_unsatisfiable (with Retry-After)'),
      },
    },
  };
  return document;
}
