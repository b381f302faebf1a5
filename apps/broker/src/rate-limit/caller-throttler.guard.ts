import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Caller } from '../auth/caller';
import type { AuthenticatedRequest } from '../admission/caller.guard';
import { RateLimitedError } from '../http/broker.errors';
import { CallerRateLimiter } from './caller-rate-limiter.service';

const callerOf = (context: ExecutionContext) => context.switchToHttp().getRequest<AuthenticatedRequest>().caller;

/**
 * The per-caller limit on Nest routes. CallerGuard calls it once it has set `request.caller`
 * (so no controller can list it in the wrong order); routes without a caller are not limited.
 * Keyed by the caller's name alone, so GET /token (TokenServing, which counts through
 * CallerRateLimiter) and these routes draw on one budget per caller.
 */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly limiter: CallerRateLimiter,
  ) {
    super(options, storage, reflector);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const caller = callerOf(context);
    return Promise.resolve(caller === undefined || this.limiter.limitOf(caller.name) === Number.POSITIVE_INFINITY);
  }

  /** The limit of this caller (callers file override or the default) instead of the module-wide one. */
  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const caller = callerOf(request.context);
    return super.handleRequest({ ...request, limit: this.limiter.limitOf(caller?.name ?? '') });
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    return Promise.resolve((request as { caller?: Caller }).caller?.name ?? '');
  }

  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return tracker;
  }

  protected override throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new RateLimitedError(Math.max(1, detail.timeToBlockExpire));
  }
}
