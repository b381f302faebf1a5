import { Module } from '@nestjs/common';
import { AdmissionModule } from '../../admission/admission.module';
import { ProfilesModule } from '../../profiles/profiles.module';
import { RefreshModule } from '../refresh/refresh.module';
import { TokenCacheModule } from '../token-cache.module';
import { TokenEndpoint } from './token-endpoint.service';
import { TokenSource } from './token-source.service';

/** GET /token: answered in front of Fastify (TokenFastPath) by TokenEndpoint. */
@Module({
  imports: [AdmissionModule, ProfilesModule, TokenCacheModule, RefreshModule],
  providers: [TokenSource, TokenEndpoint],
  exports: [TokenSource, TokenEndpoint],
})
export class ServeModule {}
