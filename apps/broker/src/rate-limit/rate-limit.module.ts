import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CallerRateLimiter } from './caller-rate-limiter.service';
import { FixedWindowStorage } from './fixed-window.storage';

/** The per-caller and per-address limits, on timer-free fixed windows (O(1) per hit). */
@Module({
  imports: [AuthModule],
  providers: [{ provide: FixedWindowStorage, useFactory: () => new FixedWindowStorage() }, CallerRateLimiter],
  exports: [CallerRateLimiter],
})
export class RateLimitModule {}
