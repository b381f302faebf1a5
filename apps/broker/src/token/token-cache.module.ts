import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module';
import { TokenCache } from './token-cache.service';
import { TokenTtlGauge } from './token-ttl.gauge';

/** This replica's copy of each profile's token, which every token feature reads. */
@Module({
  imports: [ProfilesModule],
  providers: [TokenCache, TokenTtlGauge],
  exports: [TokenCache],
})
export class TokenCacheModule {}
