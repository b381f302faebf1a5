import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';

/**
 * RFC 6749 §5.1: token responses carry `Cache-Control: no-store` and `Pragma: no-cache`.
 * Set before the handler runs, so error responses written by the filter keep them too.
 */
@Injectable()
export class NoStoreInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    context.switchToHttp().getResponse<FastifyReply>().header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return next.handle();
  }
}
