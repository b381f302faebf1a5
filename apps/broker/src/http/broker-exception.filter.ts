import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { describeError } from './error-response';

/**
 * The global filter: every failure becomes `{error, message}` with a stable code. Unknown
 * exceptions are logged by class name only (their messages may quote upstream data).
 */
@Catch()
export class BrokerExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(BrokerExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, retryAfterSeconds, unexpected } = describeError(exception);
    if (unexpected) this.logger.error(`unhandled ${unexpected}`);
    void reply.header('cache-control', 'no-store');
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    void reply.status(status).send(body);
  }
}
