import { applyDecorators } from '@nestjs/common';
import { HealthCheck } from '@nestjs/terminus';
import { OpenApiOnly } from '../http/api-decorators';

/**
 * Terminus's HealthCheck: no-cache headers now, its OpenAPI answers (200, 503) once the
 * document is built. Left to itself it requires @nestjs/swagger where the controller is
 * declared, which is what OpenApiOnly keeps off a serving replica.
 */
export const HealthProbe = (): MethodDecorator =>
  applyDecorators(
    HealthCheck({ noCache: true, swaggerDocumentation: false }),
    OpenApiOnly(() => HealthCheck({ noCache: false, swaggerDocumentation: true })),
  );
