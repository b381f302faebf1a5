import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { CallerAuthenticator } from './auth/caller-authenticator.service';
import { CallerGuard } from './auth/caller.guard';
import type { BrokerConfig } from './config/broker-config';
import { BrokerConfigModule } from './config/broker-config.module';
import { ConfigReloadModule } from './config/config-reload.module';
import type { BrokerConfigSource } from './config/config-reloader.service';
import { HealthController } from './health/health.controller';
import { Lifecycle } from './health/lifecycle.service';
import { TokenHealthIndicator } from './health/token.health';
import { TerminusModule } from '@nestjs/terminus';
import { BrokerExceptionFilter } from './http/broker-exception.filter';
import { LoggingModule } from './logging/logging.module';
import { TokenFingerprinter } from './logging/token-fingerprint';
import { TokenServing } from './token/token-serving';
import { FailureHolds } from './token/failure-holds.service';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsModule } from './metrics/metrics.module';
import { StoreModule } from './store/store.module';
import { CallerRateLimiter } from './rate-limit/caller-rate-limiter.service';
import { CallerThrottlerGuard } from './rate-limit/caller-throttler.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { ProfileResolver } from './token/profile-resolver';
import { ProofTokenClient } from './token/proof-token.client';
import { RefreshScheduler } from './token/refresh-scheduler.service';
import { TokenCache } from './token/token-cache.service';
import { TokenInfoService } from './token/token-info.service';
import { TokenRefresher } from './token/token-refresher.service';
import { TokenFetcher } from './token/token-fetcher.service';
import { LocklessRefresher } from './token/lockless-refresher.service';
import { TokenController } from './token/token.controller';
import { TokenAdminController } from './token/token-admin.controller';
import { TokenRejectionController } from './token/token-rejection.controller';
import { ForcedRefresher } from './token/forced-refresher.service';
import { TokenRejectionService } from './token/token-rejection.service';
import { TokenService } from './token/token.service';
import { TokenRestorer } from './token/token-restorer.service';

@Module({})
export class AppModule {
  /** Built from an already validated config: `main.ts` loads it, tests pass their own. */
  static forRoot(config: BrokerConfig, options: { silent?: boolean; reload?: BrokerConfigSource } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        BrokerConfigModule.forRoot(config),
        ConfigReloadModule.forRoot(options.reload),
        LoggingModule.forRoot(config, options.silent ?? false),
        MetricsModule,
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
        ScheduleModule.forRoot(),
        StoreModule.forRoot(config.redis),
        RateLimitModule.forRoot(config),
      ],
      controllers: [
        TokenController,
        TokenAdminController,
        TokenRejectionController,
        HealthController,
        MetricsController,
      ],
      providers: [
        CallerAuthenticator,
        CallerGuard,
        CallerRateLimiter,
        CallerThrottlerGuard,
        ProfileResolver,
        ProofTokenClient,
        TokenCache,
        TokenRefresher,
        FailureHolds,
        TokenFetcher,
        LocklessRefresher,
        TokenService,
        TokenServing,
        TokenInfoService,
        ForcedRefresher,
        TokenRejectionService,
        TokenFingerprinter,
        RefreshScheduler,
        TokenRestorer,
        Lifecycle,
        TokenHealthIndicator,
        { provide: APP_FILTER, useClass: BrokerExceptionFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }),
        },
      ],
    };
  }
}
