import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ProfilesModule } from '../profiles/profiles.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { CallerAdmission } from './caller-admission.service';
import { CallerGuard } from './caller.guard';

/** Who may go on: GET /token calls CallerAdmission, the Nest routes with a role use CallerGuard. */
@Module({
  imports: [AuthModule, RateLimitModule, ProfilesModule],
  providers: [CallerAdmission, CallerGuard],
  exports: [CallerAdmission, CallerGuard],
})
export class AdmissionModule {}
