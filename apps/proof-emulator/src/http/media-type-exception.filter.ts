import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply } from 'fastify';

/**
 * Fastify itself refuses a malformed Content-Type header (e.g. `garbage`) with 415 before
 * any handler runs; Doorkeeper's enforce_content_type would answer that with `{}` too.
 * Every other HttpException keeps Nest's default answer.
 */
@Catch(HttpException)
export class MediaTypeExceptionFilter extends BaseExceptionFilter {
  constructor(adapterHost: HttpAdapterHost) {
    super(adapterHost.httpAdapter);
  }

  override catch(exception: HttpException, host: ArgumentsHost): void {
    if (exception.getStatus() !== 415) return super.catch(exception, host);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.status(415).header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send({});
  }
}
