import { Module } from '@nestjs/common';
import { ProfileResolver } from './profile-resolver';

/** The configured profiles, and which one a request means. */
@Module({ providers: [ProfileResolver], exports: [ProfileResolver] })
export class ProfilesModule {}
