import { Module } from '@nestjs/common';
import { AdmissionModule } from '../../admission/admission.module';
import { RefreshModule } from '../refresh/refresh.module';
import { TokenAdminController } from './token-admin.controller';
import { TokenAdminService } from './token-admin.service';

/** POST /token/refresh: an operator's forced refresh. */
@Module({
  imports: [AdmissionModule, RefreshModule],
  controllers: [TokenAdminController],
  providers: [TokenAdminService],
})
export class AdminModule {}
