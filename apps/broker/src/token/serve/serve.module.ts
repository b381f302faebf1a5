import { Module } from '@nestjs/common';
import { AdmissionModule } from '../../admission/admission.module';
import { ProfilesModule } from '../../profiles/profiles.module';
import { RefreshModule } from '../refresh/refresh.module';
import { TokenCacheModule } from '../token-cache.module';
import { TokenServing } from './token-serving';
import { TokenService } from './token.service';

/** GET /token: answered in front of Fastify (TokenFastPath) by TokenServing. */
@Module({
  imports: [AdmissionModule, ProfilesModule, TokenCacheModule, RefreshModule],
  providers: [TokenService, TokenServing],
  exports: [TokenService, TokenServing],
})
export class ServeModule {}
