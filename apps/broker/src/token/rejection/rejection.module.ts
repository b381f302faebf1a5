import { Module } from '@nestjs/common';
import { AdmissionModule } from '../../admission/admission.module';
import { ProfilesModule } from '../../profiles/profiles.module';
import { RefreshModule } from '../refresh/refresh.module';
import { TokenCacheModule } from '../token-cache.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { TokenRejectionController } from './token-rejection.controller';
import { TokenRejectionService } from './token-rejection.service';

/** POST /token/rejected: a caller reports a token Proof refused; checked once, replaced if dead. */
@Module({
  imports: [AdmissionModule, ProfilesModule, TokenCacheModule, UpstreamModule, RefreshModule],
  controllers: [TokenRejectionController],
  providers: [TokenRejectionService],
  // The proxy (/proof/*) reports Proof's 401 to the token it injected through the same service.
  exports: [TokenRejectionService],
})
export class RejectionModule {}
