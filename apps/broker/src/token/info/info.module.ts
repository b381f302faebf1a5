import { Module } from '@nestjs/common';
import { AdmissionModule } from '../../admission/admission.module';
import { TokenCacheModule } from '../token-cache.module';
import { TokenInfoService } from './token-info.service';
import { TokenInfoController } from './token-info.controller';

/** GET /token/info: the token's metadata, never the token. */
@Module({
  imports: [AdmissionModule, TokenCacheModule],
  controllers: [TokenInfoController],
  providers: [TokenInfoService],
})
export class InfoModule {}
