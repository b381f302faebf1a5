import type { INestApplication } from '@nestjs/common';
import * as swagger from '@nestjs/swagger';
import { ErrorBodyDto } from '../http/error-body.dto';
import { TokenResponseDto } from '../token/serve/token-response.dto';
import { tokenRouteOpenApi } from '../token/serve/token-route.openapi';
import { applyApiDecorators } from '../http/api-decorators';

/**
 * The OpenAPI document: Nest's routes from their decorators (applied here, api-decorators.ts
 * says why), plus GET /token, which is no Nest route and is described by hand beside it
 * (token-route.openapi.ts).
 */
export function buildOpenApiDocument(app: INestApplication): swagger.OpenAPIObject {
  applyApiDecorators(swagger);
  const config = new swagger.DocumentBuilder()
    .setTitle('Proof token broker')
    .setDescription('Hands out the current Proof OAuth token to authorized internal callers.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Caller key' }, 'caller-key')
    .build();
  const document = swagger.SwaggerModule.createDocument(app, config, { extraModels: [TokenResponseDto, ErrorBodyDto] });
  document.paths['/token'] = tokenRouteOpenApi();
  return document;
}
