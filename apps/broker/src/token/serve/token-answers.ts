import { refreshHintOf, type RefreshHint } from '../refresh-hint';
import type { RefreshTiming } from '../refresh-policy';
import { TokenResponseDto } from './token-response.dto';
import { expiresInSeconds, type TokenRecord } from '../../store/token-record';

/** GET /token's answer, ready to write: status, serialized body, Retry-After if any. */
export interface TokenAnswer {
  readonly status: number;
  readonly body: string;
  /** The body's length in bytes (Content-Length). */
  readonly bytes: number;
  readonly retryAfterSeconds?: number;
}

/**
 * GET /token's 200 answer, serialized once per token and per value of `expires_in` (once a
 * second) instead of once per request: building, date formatting and serializing it were
 * the largest share of the route's own CPU. The same answer object comes back while it is
 * unchanged, so the HTTP layer may cache what it derives from it (the header list). The
 * refresh hint is computed once per token.
 */
export class TokenAnswers {
  private readonly byProfile = new Map<
    string,
    { record: TokenRecord; hint: RefreshHint; expiresIn: number; answer: TokenAnswer }
  >();

  constructor(private readonly timing: RefreshTiming) {}

  answer(record: TokenRecord, now: number): TokenAnswer {
    const expiresIn = expiresInSeconds(record, now);
    const cached = this.byProfile.get(record.profile);
    if (cached?.record === record && cached.expiresIn === expiresIn) return cached.answer;
    const hint = cached?.record === record ? cached.hint : refreshHintOf(record, this.timing);
    const body = JSON.stringify(TokenResponseDto.from(record, now, hint));
    const answer = { status: 200, body, bytes: Buffer.byteLength(body) };
    this.byProfile.set(record.profile, { record, hint, expiresIn, answer });
    return answer;
  }

  json(record: TokenRecord, now: number): string {
    return this.answer(record, now).body;
  }
}
