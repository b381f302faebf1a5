import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { BrokerConfig } from './config/broker-config';
import { BrokerConfigModule } from './config/broker-config.module';
import { ConfigReloadModule } from './config-reload/config-reload.module';
import type { BrokerConfigSource } from './config-reload/config-reloader.service';
import { HealthModule } from './health/health.module';
import { BrokerExceptionFilter } from './http/broker-exception.filter';
import { LoggingModule, LogOutput } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { StoreModule } from './store/store.module';
import { AdminModule } from './token/admin/admin.module';
import { InfoModule } from './token/info/info.module';
import { RejectionModule } from './token/rejection/rejection.module';
import { ServeModule } from './token/serve/serve.module';
import { ProxyModule } from './proxy/proxy.module';

@Module({})
export class AppModule {
  /** Built from an already validated config: `main.ts` loads it, tests pass their own. */
  static forRoot(config: BrokerConfig, options: { logs?: LogOutput; reload?: BrokerConfigSource } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Global: the config, logging, the scheduler, the store (and metrics, below) serve every feature.
        BrokerConfigModule.forRoot(config),
        ConfigReloadModule.forRoot(options.reload),
        LoggingModule.forRoot(config, options.logs),
        ScheduleModule.forRoot(),
        StoreModule.forRoot(config.redis),
        // The features: GET /token, /token/info, /token/refresh, /token/rejected, the probes.
        ServeModule,
        InfoModule,
        AdminModule,
        RejectionModule,
        HealthModule,
        // /proof/*: Proof's API through the broker, the token injected.
        ProxyModule,
        // Last, though global: its /metrics comes last in openapi.json, as before the feature modules.
        MetricsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: BrokerExceptionFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }),
        },
      ],
    };
  }
}
