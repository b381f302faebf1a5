import { ApiProperty } from '../../http/api-decorators';
import { expiresInSeconds } from '../../store/token-record';
import type { ForcedRefresh } from '../refresh/forced-refresher.service';
import { refreshInSeconds, type RefreshHint } from '../refresh-hint';
import { REFRESH_AT } from '../serve/token-response.dto';

/** 200 body of POST /token/refresh: the new token's metadata, never the token itself. */
export class TokenRefreshDto {
  @ApiProperty() profile!: string;
  @ApiProperty({ enum: ['refreshed', 'reused'], description: 'reused: Proof handed back the same token' })
  outcome!: 'refreshed' | 'reused';
  @ApiProperty({ description: 'Fence of the lease that wrote the new token' }) fence!: number;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ description: 'Whole seconds left' }) expires_in!: number;
  @ApiProperty({ format: 'date-time', description: REFRESH_AT }) refresh_at!: string;
  @ApiProperty({ description: 'Whole seconds until refresh_at, rounded down' }) refresh_in!: number;
  @ApiProperty({ format: 'date-time', description: "Issue time, Proof's clock" }) created_at!: string;
  @ApiProperty({ description: 'Replica that obtained the token' }) refreshed_by!: string;
  @ApiProperty({ description: "The token's fingerprint, as in /token/info and the audit log" })
  fingerprint!: string;

  static from(
    { record, outcome }: ForcedRefresh,
    hint: RefreshHint,
    fingerprint: string,
    now: number,
  ): TokenRefreshDto {
    const expiresIn = expiresInSeconds(record, now);
    return {
      profile: record.profile,
      outcome,
      fence: record.fence,
      expires_at: new Date(record.expiresAt).toISOString(),
      expires_in: expiresIn,
      refresh_at: hint.refreshAt,
      refresh_in: refreshInSeconds(hint, expiresIn),
      created_at: new Date(record.createdAt * 1000).toISOString(),
      refreshed_by: record.refreshedBy,
      fingerprint,
    };
  }
}
