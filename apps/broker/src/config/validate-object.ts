import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

type Constructor<T> = new () => T;

function flatten(errors: ValidationError[], prefix: string): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => `${path}: ${message}`);
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

/** Transforms and validates `plain` into `cls`, returning every problem prefixed with `where`. */
export function validateObject<T extends object>(
  cls: Constructor<T>,
  plain: unknown,
  where: string,
): { value: T; problems: string[] } {
  const value = plainToInstance(cls, plain ?? {}, { exposeDefaultValues: true });
  const problems = flatten(validateSync(value, { whitelist: true, forbidNonWhitelisted: true }), '').map((problem) =>
    where ? `${where}: ${problem}` : problem,
  );
  return { value, problems };
}
