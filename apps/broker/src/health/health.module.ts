import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ProfilesModule } from '../profiles/profiles.module';
import { ServeModule } from '../token/serve/serve.module';
import { HealthController } from './health.controller';
import { Lifecycle } from './lifecycle.service';
import { TokenHealthIndicator } from './token.health';

/** The probes: live, and ready (red only for causes local to the replica: TokenHealthIndicator). */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }), ProfilesModule, ServeModule],
  controllers: [HealthController],
  providers: [Lifecycle, TokenHealthIndicator],
  exports: [Lifecycle],
})
export class HealthModule {}
