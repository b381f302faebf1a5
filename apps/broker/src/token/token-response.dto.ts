import type { TokenRecord } from './token-record';

/** 200 body of GET /token. */
export class TokenResponseDto {
  access_token!: string;
  token_type!: string;
  /** Whole seconds left, rounded down. */
  expires_in!: number;
  expires_at!: string;
  scope!: string;
  profile!: string;

  static from(record: TokenRecord, now: number): TokenResponseDto {
    return {
      access_token: record.accessToken,
      token_type: record.tokenType,
      expires_in: Math.max(0, Math.floor((record.expiresAt - now) / 1000)),
      expires_at: new Date(record.expiresAt).toISOString(),
      scope: record.scope,
      profile: record.profile,
    };
  }
}
