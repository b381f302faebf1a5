import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { OAuthHttpError } from './oauth.errors';

/** Writes an OAuthHttpError exactly: no Nest error envelope around Doorkeeper's bodies. */
@Catch(OAuthHttpError)
export class OAuthExceptionFilter implements ExceptionFilter<OAuthHttpError> {
  catch(error: OAuthHttpError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    reply.status(error.status).headers(error.headers);
    if (error.body === undefined) {
      void reply.send();
    } else {
      void reply.type('application/json; charset=utf-8').send(JSON.stringify(error.body));
    }
  }
}
