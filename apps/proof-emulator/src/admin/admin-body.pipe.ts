import { BadRequestException, PipeTransform } from '@nestjs/common';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * Parses an admin request's raw body (the emulator keeps bodies as strings, see
 * registerRawBodyParser) as JSON and validates it against `dto`, reporting every problem.
 */
export class AdminBodyPipe<T extends object> implements PipeTransform<unknown, T> {
  constructor(private readonly dto: ClassConstructor<T>) {}

  transform(body: unknown): T {
    let plain: unknown;
    try {
      plain = typeof body === 'string' && body.trim() !== '' ? JSON.parse(body) : {};
    } catch {
      throw new BadRequestException(['body must be JSON']);
    }
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
      throw new BadRequestException(['body must be a JSON object']);
    }
    const instance = plainToInstance(this.dto, plain);
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
    const problems = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    if (problems.length > 0) throw new BadRequestException(problems);
    return instance;
  }
}
