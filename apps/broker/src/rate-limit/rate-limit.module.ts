import { Module } from '@nestjs/common';
import { FixedWindowStorage } from './fixed-window.storage';

/**
 * The callers' windows (FixedWindowStorage: no timers, O(1) per hit). CallerRateLimiter needs
 * CallerAuthenticator, so the module that has both provides it.
 */
@Module({
  providers: [{ provide: FixedWindowStorage, useFactory: () => new FixedWindowStorage() }],
  exports: [FixedWindowStorage],
})
export class RateLimitModule {}
