import type * as Swagger from '@nestjs/swagger';

type SwaggerExports = typeof Swagger;
type AnyDecorator = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => void;
/** Whatever a decorator factory returns (class, method or property decorator): applied with the arguments TypeScript gave. */
type SomeDecorator = (...args: never[]) => unknown;
type DeferredName = 'ApiProperty' | 'ApiPropertyOptional' | 'ApiOkResponse' | 'ApiResponse' | 'ApiBearerAuth';

const pending: ((swagger: SwaggerExports) => void)[] = [];

/**
 * A decorator that only documents (writes what SwaggerModule reads), made and applied when
 * the OpenAPI document is built (applyApiDecorators), not where the class is declared:
 * @nestjs/swagger (ESM, no deep import of its decorators) costs a replica ~4 MB of heap and
 * 1-5 MB of RSS once loaded (~10 MB once /docs has been served), and only /docs and
 * `npm run openapi` read what its decorators write (docs/BENCHMARKS.md, RSS).
 */
export function OpenApiOnly(make: (swagger: SwaggerExports) => SomeDecorator): AnyDecorator {
  return (target, key, descriptor) => {
    pending.push((swagger) => (make(swagger) as AnyDecorator)(target, key, descriptor));
  };
}

/** @nestjs/swagger's decorator `name`, deferred by OpenApiOnly. */
function deferred<N extends DeferredName>(name: N): (...args: Parameters<SwaggerExports[N]>) => AnyDecorator {
  return (...args) =>
    OpenApiOnly((swagger) => (swagger[name] as (...decoratorArgs: typeof args) => SomeDecorator)(...args));
}

export const ApiProperty = deferred('ApiProperty');
export const ApiPropertyOptional = deferred('ApiPropertyOptional');
export const ApiOkResponse = deferred('ApiOkResponse');
export const ApiResponse = deferred('ApiResponse');
export const ApiBearerAuth = deferred('ApiBearerAuth');

/** Applies, in declaration order and once each, the decorators recorded so far. */
export function applyApiDecorators(swagger: SwaggerExports): void {
  for (const apply of pending.splice(0)) apply(swagger);
}
