import { Module } from '@nestjs/common';
import { AdmissionModule } from '../admission/admission.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { RejectionModule } from '../token/rejection/rejection.module';
import { ServeModule } from '../token/serve/serve.module';
import { ProxyEndpoint } from './proxy-endpoint.service';
import { ProxyMetrics } from './proxy-metrics';
import { ProxyPools } from './proxy-pools.service';

/**
 * /proof/*: Proof's API through the broker with the current token injected, answered in front
 * of Fastify (proxy-request-listener.ts) by ProxyEndpoint; Proof's 401 goes through the same
 * TokenRejectionService as POST /token/rejected.
 */
@Module({
  imports: [AdmissionModule, ProfilesModule, ServeModule, RejectionModule],
  providers: [ProxyEndpoint, ProxyPools, ProxyMetrics],
  exports: [ProxyEndpoint],
})
export class ProxyModule {}
