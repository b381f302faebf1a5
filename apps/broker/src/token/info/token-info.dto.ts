import { ApiProperty } from '../../http/api-decorators';
import { REFRESH_AT } from '../serve/token-response.dto';

export class LastRefreshDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'Replica that made the attempt' }) replica!: string;
  @ApiProperty({ enum: ['refreshed', 'reused', 'transient_failure', 'permanent_failure', 'stale_write'] })
  outcome!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Stable code, e.g. invalid_client, upstream_5xx' })
  error!: string | null;
}

/** 200 body of GET /token/info: what ops dashboards need, never the token itself. */
export class TokenInfoDto {
  @ApiProperty() profile!: string;
  @ApiProperty({ description: 'This replica holds a token with at least the serving floor left' }) servable!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Whole seconds left' }) expires_in!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: REFRESH_AT })
  refresh_at!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Whole seconds until refresh_at, rounded down' })
  refresh_in!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: "Issue time, Proof's clock" })
  created_at!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: "Proof's clock minus ours, seconds" })
  clock_skew_seconds!: number | null;
  @ApiProperty({ type: String, nullable: true }) scope!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Fence of the lease that wrote the token' })
  fence!: number | null;
  @ApiProperty({ type: String, nullable: true, description: "First 12 hex of the token's SHA-256" })
  fingerprint!: string | null;
  @ApiProperty({ type: LastRefreshDto, nullable: true }) last_refresh!: LastRefreshDto | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: "This replica's planned refresh" })
  next_refresh_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Shared backoff end' })
  next_attempt_not_before!: string | null;
  @ApiProperty() consecutive_failures!: number;
  @ApiProperty({ type: Number, nullable: true, description: '1-based position of the client secret Proof accepted' })
  client_secret_position!: number | null;
  @ApiProperty({ enum: ['redis', 'memory'] }) store!: 'redis' | 'memory';
}
