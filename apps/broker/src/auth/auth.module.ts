import { Module } from '@nestjs/common';
import { CallerAuthenticator } from './caller-authenticator.service';

/** Caller keys: who is calling, and may they. */
@Module({ providers: [CallerAuthenticator], exports: [CallerAuthenticator] })
export class AuthModule {}
