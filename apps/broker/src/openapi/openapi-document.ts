import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodyDto } from '../http/error-body.dto';
import { TokenResponseDto } from '../token/serve/token-response.dto';
import { tokenRouteOpenApi } from '../token/serve/token-route.openapi';

/**
 * The OpenAPI document: Nest's routes from their decorators, plus GET /token, which is no
 * Nest route and is described by hand beside it (token-route.openapi.ts).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Proof token broker')
    .setDescription('Hands out the current Proof OAuth token to authorized internal callers.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Caller key' }, 'caller-key')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [TokenResponseDto, ErrorBodyDto] });
  document.paths['/token'] = tokenRouteOpenApi();
  return document;
}
