import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { CallerAuthenticator } from './auth/caller-authenticator.service';
import { CallerGuard } from './admission/caller.guard';
import type { BrokerConfig } from './config/broker-config';
import { BrokerConfigModule } from './config/broker-config.module';
import { ConfigReloadModule } from './config-reload/config-reload.module';
import type { BrokerConfigSource } from './config-reload/config-reloader.service';
import { HealthController } from './health/health.controller';
import { Lifecycle } from './health/lifecycle.service';
import { TokenHealthIndicator } from './health/token.health';
import { TerminusModule } from '@nestjs/terminus';
import { BrokerExceptionFilter } from './http/broker-exception.filter';
import { LoggingModule } from './logging/logging.module';
import { TokenFingerprinter } from './logging/token-fingerprint';
import { TokenServing } from './token/serve/token-serving';
import { FailureHolds } from './token/refresh/failure-holds.service';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsModule } from './metrics/metrics.module';
import { StoreModule } from './store/store.module';
import { CallerRateLimiter } from './rate-limit/caller-rate-limiter.service';
import { CallerAdmission } from './admission/caller-admission.service';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { ProfileResolver } from './profiles/profile-resolver';
import { ProofTokenClient } from './token/upstream/proof-token.client';
import { RefreshScheduler } from './token/refresh/refresh-scheduler.service';
import { TokenCache } from './token/token-cache.service';
import { TokenInfoService } from './token/info/token-info.service';
import { TokenRefresher } from './token/refresh/token-refresher.service';
import { TokenFetcher } from './token/upstream/token-fetcher.service';
import { LocklessRefresher } from './token/refresh/lockless-refresher.service';
import { TokenController } from './token/info/token.controller';
import { TokenAdminController } from './token/admin/token-admin.controller';
import { TokenRejectionController } from './token/rejection/token-rejection.controller';
import { ForcedRefresher } from './token/refresh/forced-refresher.service';
import { TokenRejectionService } from './token/rejection/token-rejection.service';
import { TokenService } from './token/serve/token.service';
import { TokenRestorer } from './token/refresh/token-restorer.service';
import { TokenTtlGauge } from './token/token-ttl.gauge';
import { TokenAdminService } from './token/admin/token-admin.service';

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
        RateLimitModule,
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
        CallerAdmission,
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
        TokenTtlGauge,
        TokenAdminService,
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
