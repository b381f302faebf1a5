import { BrokerClientError } from './broker-client.errors';
import type { TokenAnswer } from './cache-policy';

/** GET /token's answer, as far as the client reads it. */
export interface TokenBody extends TokenAnswer {
  readonly token_type: string;
  readonly expires_at: string;
  readonly refresh_at?: string;
  readonly profile: string;
}

export interface Rejection {
  readonly verdict: string;
}

/**
 * The two broker calls, with the key in a private field: errors name the broker's code,
 * its status and Retry-After, never the key (nor a token: bodies are not quoted).
 */
export class BrokerApi {
  readonly #key: string;

  constructor(
    key: string,
    private readonly tokenUrl: URL,
    private readonly rejectedUrl: URL,
    private readonly profile: string | undefined,
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch,
  ) {
    this.#key = key;
  }

  async token(): Promise<TokenBody> {
    const body = await this.call(this.tokenUrl, { method: 'GET' });
    const answer = body as Partial<TokenBody>;
    if (
      typeof answer.access_token !== 'string' ||
      typeof answer.expires_in !== 'number' ||
      (answer.refresh_in !== undefined && typeof answer.refresh_in !== 'number')
    )
      throw new BrokerClientError('invalid_response', 'GET /token answered 200 without a token');
    return answer as TokenBody;
  }

  async rejected(token: string): Promise<Rejection> {
    const body = JSON.stringify({ access_token: token, ...(this.profile ? { profile: this.profile } : {}) });
    const answer = (await this.call(this.rejectedUrl, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    })) as Partial<Rejection>;
    return { verdict: typeof answer.verdict === 'string' ? answer.verdict : 'unknown' };
  }

  private async call(url: URL, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.#key}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timeout = error instanceof Error && error.name === 'TimeoutError';
      const code = timeout ? 'broker_timeout' : 'broker_unreachable';
      throw new BrokerClientError(code, `broker ${url.pathname}: ${code.replace('_', ' ')}`, undefined, undefined, {
        cause: error,
      });
    }
    const body = (await response.json().catch(() => undefined)) as { error?: unknown } | undefined;
    if (response.ok && body !== undefined) return body;
    const code = typeof body?.error === 'string' ? body.error : response.ok ? 'invalid_response' : 'http_error';
    const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
    throw new BrokerClientError(
      code,
      `broker ${url.pathname} answered ${response.status} ${code}`,
      response.status,
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    );
  }
}
