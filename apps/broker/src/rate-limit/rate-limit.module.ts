import { DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { BrokerConfig } from '../config/broker-config';
import { FixedWindowStorage } from './fixed-window.storage';

/**
 * @nestjs/throttler on the broker's own storage (FixedWindowStorage: no timers, O(1) per
 * hit). The storage is also provided under its class, for CallerRateLimiter (GET /token).
 * CallerRateLimiter and CallerThrottlerGuard need CallerAuthenticator, so AppModule provides them.
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    const storage = new FixedWindowStorage();
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          // The limit per caller is set by CallerThrottlerGuard; this is the default.
          throttlers: [{ name: 'caller', ttl: config.rateLimit.windowMs, limit: config.rateLimit.perCaller }],
          storage,
          // Retry-After comes with the 429 (RateLimitedError); no X-RateLimit-* on every answer.
          setHeaders: false,
        }),
      ],
      providers: [{ provide: FixedWindowStorage, useValue: storage }],
      exports: [FixedWindowStorage],
    };
  }
}
