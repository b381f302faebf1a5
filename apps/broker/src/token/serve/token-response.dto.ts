import { ApiProperty } from '@nestjs/swagger';
import type { TokenRecord } from '../../store/token-record';

/** 200 body of GET /token. */
export class TokenResponseDto {
  @ApiProperty({ description: 'The Proof bearer token' }) access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: string;
  /** Whole seconds left, rounded down. */
  @ApiProperty({ description: 'Whole seconds left', example: 4795 }) expires_in!: number;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ example: 'read write' }) scope!: string;
  @ApiProperty({ example: 'default' }) profile!: string;

  static expiresIn(record: TokenRecord, now: number): number {
    return Math.max(0, Math.floor((record.expiresAt - now) / 1000));
  }

  static from(record: TokenRecord, now: number): TokenResponseDto {
    return {
      access_token: record.accessToken,
      token_type: record.tokenType,
      expires_in: TokenResponseDto.expiresIn(record, now),
      expires_at: new Date(record.expiresAt).toISOString(),
      scope: record.scope,
      profile: record.profile,
    };
  }
}
