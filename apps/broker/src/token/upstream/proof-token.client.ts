import { FORM_CONTENT_TYPE, PROOF_TOKEN_INFO_PATH, PROOF_TOKEN_PATH } from '@app/proof-contract';
import { Injectable } from '@nestjs/common';
import type { ProfileConfig } from '../../config/broker-config';
import { classifyErrorResponse, parseRetryAfterMs } from './classify-token-response';
import { UpstreamTokenError } from './upstream-token.error';
import { sendUpstream, UpstreamTimeoutError, type UpstreamAnswer } from './upstream-request';

export interface UpstreamToken {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly scope: string;
  readonly expiresInSeconds: number;
  readonly createdAt: number;
  readonly receivedAt: number;
  /** Proof's clock from the `Date` header, to report skew. */
  readonly serverDate?: number;
  /** 1-based position of the client secret that obtained it (never the secret). */
  readonly secretPosition?: number;
}

/**
 * What Proof's GET /oauth/v2/token/info says of a token: `active` (200) or not (401: expired,
 * revoked or unknown, Proof does not say which). Anything else is a failure to find out.
 */
export type TokenInfoAnswer =
  { readonly active: true; readonly expiresInSeconds?: number } | { readonly active: false };

function parseToken(body: unknown, receivedAt: number, serverDate: number | undefined): UpstreamToken {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const valid =
    typeof b.access_token === 'string' &&
    b.access_token.length > 0 &&
    typeof b.token_type === 'string' &&
    b.token_type.toLowerCase() === 'bearer' &&
    typeof b.expires_in === 'number' &&
    Number.isFinite(b.expires_in) &&
    // 0 is a real answer: under reuse_access_token, the same token with under a second left.
    b.expires_in >= 0;
  if (!valid) throw new UpstreamTokenError('transient', 'invalid_response', 200);
  return {
    accessToken: b.access_token as string,
    tokenType: 'Bearer',
    scope: typeof b.scope === 'string' ? b.scope : '',
    expiresInSeconds: b.expires_in as number,
    createdAt: typeof b.created_at === 'number' ? b.created_at : Math.floor(receivedAt / 1000),
    receivedAt,
    serverDate,
  };
}

/** The only code that calls Proof's token endpoint: the request exactly as PROOF_API.md shows it. */
@Injectable()
export class ProofTokenClient {
  /** `signal`: the holder's lock lease, aborted once it may have ended (then no request of ours stays in flight). */
  async requestToken(
    profile: ProfileConfig,
    clientSecret: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<UpstreamToken> {
    // Plain `id:secret` as PROOF_API.md shows it (Proof's ids and secrets are URL-safe).
    const basic = Buffer.from(`${profile.clientId}:${clientSecret}`).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (profile.scope) form.set('scope', profile.scope);
    let answer: UpstreamAnswer;
    try {
      answer = await sendUpstream(new URL(PROOF_TOKEN_PATH, profile.baseUrl), {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': FORM_CONTENT_TYPE, accept: 'application/json' },
        body: form.toString(),
        timeoutMs,
        signal,
      });
    } catch (error) {
      // `cause`: the socket's error (its code tells a request that never left, see mayHaveIssued).
      const code = error instanceof UpstreamTimeoutError ? 'timeout' : 'network';
      throw new UpstreamTokenError('transient', code, undefined, undefined, { cause: error });
    }
    const receivedAt = Date.now();
    const { status, headers, body } = answer;
    if (status !== 200) throw classifyErrorResponse(status, body, headers['retry-after'] ?? null, receivedAt);
    const date = Date.parse(headers.date ?? '');
    return parseToken(body, receivedAt, Number.isNaN(date) ? undefined : date);
  }

  /**
   * Asks Proof whether `accessToken` is still good (PROOF_API.md, "Checking a token"). Failures
   * are transient UpstreamTokenErrors whose message and code never hold the token or the body.
   */
  async tokenInfo(profile: ProfileConfig, accessToken: string, timeoutMs: number): Promise<TokenInfoAnswer> {
    let answer: UpstreamAnswer;
    try {
      answer = await sendUpstream(new URL(PROOF_TOKEN_INFO_PATH, profile.baseUrl), {
        method: 'GET',
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        timeoutMs,
      });
    } catch (error) {
      // No `cause`: kept free of anything about the request, whose Authorization is the token.
      throw new UpstreamTokenError('transient', error instanceof UpstreamTimeoutError ? 'timeout' : 'network');
    }
    const { status, headers, body } = answer;
    if (status === 401) return { active: false };
    if (status !== 200) {
      const code = status === 429 ? 'rate_limited' : `upstream_${Math.floor(status / 100)}xx`;
      const retryAfterMs = parseRetryAfterMs(headers['retry-after'] ?? null, Date.now());
      throw new UpstreamTokenError('transient', code, status, retryAfterMs);
    }
    const expiresIn = (body as { expires_in?: unknown } | undefined)?.expires_in;
    return { active: true, expiresInSeconds: typeof expiresIn === 'number' ? expiresIn : undefined };
  }
}
