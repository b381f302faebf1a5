import { getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import { ErrorBodyDto } from '../../http/error-body.dto';
import { TokenResponseDto } from './token-response.dto';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorBodyDto) } } },
});

/** GET /token in the OpenAPI document: no Nest route, so no decorators describe it. */
export function tokenRouteOpenApi(): OpenAPIObject['paths'][string] {
  return {
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
}
