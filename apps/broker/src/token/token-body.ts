import { TokenResponseDto } from './token-response.dto';
import type { TokenRecord } from './token-record';

/**
 * GET /token's 200 body, serialized once per token and per value of `expires_in` (once a
 * second) instead of once per request: building, date formatting and serializing it were
 * the largest share of the route's own CPU.
 */
export class TokenBodies {
  private readonly byProfile = new Map<string, { record: TokenRecord; expiresIn: number; json: string }>();

  json(record: TokenRecord, now: number): string {
    const expiresIn = TokenResponseDto.expiresIn(record, now);
    const cached = this.byProfile.get(record.profile);
    if (cached?.record === record && cached.expiresIn === expiresIn) return cached.json;
    const json = JSON.stringify(TokenResponseDto.from(record, now));
    this.byProfile.set(record.profile, { record, expiresIn, json });
    return json;
  }
}
