import { PROOF_TOKEN_PATH } from '@app/proof-contract';
import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminController } from './admin/admin.controller';
import { DateSkewService } from './admin/date-skew.service';
import { EmulatorAdminService } from './admin/emulator-admin.service';
import { EmulatorStatsService } from './admin/emulator-stats.service';
import { FaultInjectorService } from './admin/fault-injector.service';
import { TokenFaultMiddleware } from './admin/token-fault.middleware';
import { BearerTokenGuard } from './api/bearer-token.guard';
import { TransactionsController } from './api/transactions.controller';
import { CLOCK, systemClock } from './clock';
import { EMULATOR_CONFIG, EmulatorConfig } from './config/emulator-config';
import { MediaTypeExceptionFilter } from './http/media-type-exception.filter';
import { ClientAuthenticatorService } from './oauth/client-authenticator.service';
import { OAuthExceptionFilter } from './oauth/oauth-exception.filter';
import { RevokeController } from './oauth/revoke.controller';
import { TokenGrantService } from './oauth/token-grant.service';
import { TokenInfoController } from './oauth/token-info.controller';
import { TokenInfoService } from './oauth/token-info.service';
import { TokenRegistryService } from './oauth/token-registry.service';
import { TokenRevokerService } from './oauth/token-revoker.service';
import { TokenController } from './oauth/token.controller';

@Module({})
export class EmulatorModule implements NestModule {
  static forRoot(config: EmulatorConfig): DynamicModule {
    return {
      module: EmulatorModule,
      controllers: [
        TokenController,
        TokenInfoController,
        RevokeController,
        TransactionsController,
        // Off by default: without it, /_emulator/* is a plain 404, as on the real server.
        ...(config.admin ? [AdminController] : []),
      ],
      providers: [
        { provide: EMULATOR_CONFIG, useValue: config },
        { provide: CLOCK, useValue: systemClock },
        { provide: APP_FILTER, useClass: OAuthExceptionFilter },
        { provide: APP_FILTER, useClass: MediaTypeExceptionFilter },
        ClientAuthenticatorService,
        TokenRegistryService,
        TokenGrantService,
        TokenInfoService,
        TokenRevokerService,
        BearerTokenGuard,
        EmulatorStatsService,
        FaultInjectorService,
        EmulatorAdminService,
        DateSkewService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TokenFaultMiddleware).forRoutes({ path: PROOF_TOKEN_PATH, method: RequestMethod.POST });
  }
}
