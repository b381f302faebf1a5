import { ApiProperty } from '../../http/api-decorators';
import { refreshInSeconds, type RefreshHint } from '../refresh-hint';
import { expiresInSeconds, type TokenRecord } from '../../store/token-record';

/** What `refresh_at` means, in every answer that carries it. */
export const REFRESH_AT =
  'Stop using this token from then on and ask again: the earliest moment any replica may replace it. ' +
  'For a token Proof reuses (reuse_access_token), the moment replicas stop serving it.';

/** 200 body of GET /token. */
export class TokenResponseDto {
  @ApiProperty({ description: 'The Proof bearer token' }) access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: string;
  /** Whole seconds left, rounded down. */
  @ApiProperty({ description: 'Whole seconds left', example: 4795 }) expires_in!: number;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ format: 'date-time', description: REFRESH_AT }) refresh_at!: string;
  @ApiProperty({ description: 'Whole seconds until refresh_at, rounded down', example: 2395 }) refresh_in!: number;
  @ApiProperty({ example: 'read write' }) scope!: string;
  @ApiProperty({ example: 'default' }) profile!: string;

  static from(record: TokenRecord, now: number, hint: RefreshHint): TokenResponseDto {
    const expiresIn = expiresInSeconds(record, now);
    return {
      access_token: record.accessToken,
      token_type: record.tokenType,
      expires_in: expiresIn,
      expires_at: new Date(record.expiresAt).toISOString(),
      refresh_at: hint.refreshAt,
      refresh_in: refreshInSeconds(hint, expiresIn),
      scope: record.scope,
      profile: record.profile,
    };
  }
}
