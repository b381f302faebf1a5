import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { bearerTokenOf } from '../oauth/bearer-token';
import { OAuthErrors } from '../oauth/oauth.errors';
import { TokenRegistryService } from '../oauth/token-registry.service';

/** doorkeeper_authorize!: a resource call needs a live token; refusals are `head :unauthorized`. */
@Injectable()
export class BearerTokenGuard implements CanActivate {
  constructor(private readonly registry: TokenRegistryService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const check = this.registry.check(bearerTokenOf(request.headers.authorization));
    if (!check.ok) throw OAuthErrors.resourceRefused(check.reason);
    return true;
  }
}
