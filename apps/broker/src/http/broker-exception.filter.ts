import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { BrokerError } from './broker.errors';

interface ErrorBody {
  error: string;
  message: string;
}

const HTTP_CODES: Record<number, string> = {
  400: 'invalid_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/**
 * The one place failures become HTTP answers: `{error, message}` with a stable code.
 * Unknown exceptions are logged by class name only (their messages may quote upstream
 * data) and answered with a generic 500.
 */
@Catch()
export class BrokerExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(BrokerExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, body, retryAfter] = this.describe(exception);
    reply.header('cache-control', 'no-store');
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    void reply.status(status).send(body);
  }

  private describe(exception: unknown): [number, ErrorBody, number?] {
    if (exception instanceof BrokerError) {
      return [exception.status, { error: exception.code, message: exception.message }, exception.retryAfterSeconds];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
      return [status, { error: code, message: this.publicMessage(exception) }];
    }
    const name = exception instanceof Error ? exception.name : typeof exception;
    this.logger.error(`unhandled ${name}`);
    return [HttpStatus.INTERNAL_SERVER_ERROR, { error: 'internal_error', message: 'Internal error' }];
  }

  /** Validation messages name the parameter and the rule, never the value sent. */
  private publicMessage(exception: HttpException): string {
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    if (Array.isArray(message)) return message.map(String).join('; ');
    return typeof message === 'string' ? message : exception.message;
  }
}
