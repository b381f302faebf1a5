import { BrokerApi } from './broker-api';
import { BrokerClientError } from './broker-client.errors';
import { resolveOptions, type BrokerClientHooks, type BrokerClientOptions } from './broker-client.options';
import { holdToken, retryDelayMs, type CachePolicy, type HeldToken, type Random } from './cache-policy';
import { isReplayable, withBearer } from './replayable-request';

/** Tokens reported to the broker that are remembered, so a burst of 401s makes one report. */
const REPORTS_KEPT = 8;

const asClientError = (error: unknown): BrokerClientError =>
  error instanceof BrokerClientError
    ? error
    : new BrokerClientError('unexpected', 'unexpected failure', undefined, undefined, { cause: error });

const closedError = () => new BrokerClientError('client_closed', 'the BrokerClient is closed');

/**
 * A Proof token from the broker, kept in memory until the broker's refresh hint: one request
 * at a time however many callers ask, the cached token while the broker cannot answer (until
 * the safety margin), and a fetch that recovers from a token Proof refuses.
 */
export class BrokerClient {
  private readonly api: BrokerApi;
  private readonly policy: CachePolicy;
  private readonly profile?: string;
  private readonly hooks: BrokerClientHooks;
  private readonly fetchImpl: typeof fetch;
  private readonly requestTimeoutMs: number;
  private readonly now: () => number;
  private readonly random: Random;
  private held?: HeldToken;
  /** The held token as a settled promise: getToken() on a cached token allocates nothing. */
  private heldPromise?: Promise<string>;
  private inFlight?: Promise<HeldToken>;
  private failures = 0;
  private retryAt = 0;
  private lastError?: BrokerClientError;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly reports = new Map<string, Promise<string>>();

  constructor(options: BrokerClientOptions) {
    const resolved = resolveOptions(options);
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.api = new BrokerApi(
      resolved.key,
      resolved.tokenUrl,
      resolved.rejectedUrl,
      resolved.profile,
      resolved.requestTimeoutMs,
      this.fetchImpl,
    );
    this.policy = resolved.policy;
    this.requestTimeoutMs = resolved.requestTimeoutMs;
    this.profile = resolved.profile;
    this.hooks = options.hooks ?? {};
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The token to send to Proof now. Rejects with a BrokerClientError when none can be had. */
  getToken(): Promise<string> {
    const held = this.held;
    if (held !== undefined && this.now() < held.refreshAt) return this.heldPromise as Promise<string>;
    return this.renew();
  }

  /**
   * Proof answered 401 to `token`: reports it to the broker (once per token, however many
   * callers saw the 401), drops it, and resolves with the token the broker serves now.
   */
  tokenRejected(token: string): Promise<string> {
    if (this.closed) return Promise.reject(closedError());
    let report = this.reports.get(token);
    if (report === undefined) {
      report = this.report(token);
      this.reports.set(token, report);
      report.catch(() => this.reports.delete(token));
      if (this.reports.size > REPORTS_KEPT) this.reports.delete(this.reports.keys().next().value as string);
    }
    return report;
  }

  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401 it reports the token and, when the
   * request can be sent again (no streamed body) and the broker has another token, retries once.
   */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const token = await this.getToken();
    const response = await this.fetchImpl(input, withBearer(input, init, token));
    if (response.status !== 401 || !isReplayable(input, init)) return response;
    const next = await this.tokenRejected(token).catch(() => token);
    if (next === token) return response;
    await response.body?.cancel().catch(() => undefined);
    return this.fetchImpl(input, withBearer(input, init, next));
  }

  /** Stops background retries; later calls reject with `client_closed`. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private async renew(): Promise<string> {
    if (this.closed) throw closedError();
    const usable = this.usable();
    // Backing off after a failure: the broker is not asked before retryAt.
    if (this.inFlight === undefined && this.now() < this.retryAt && this.lastError) {
      if (usable && this.lastError.retryable) return this.servedStale(usable);
      throw this.lastError;
    }
    const deadline = this.now() + this.requestTimeoutMs;
    try {
      for (;;) {
        const held = await this.refresh();
        if (this.now() < held.usableUntil) return held.token;
        // The broker still serves a token inside our margin (a reused token near its expiry,
        // which it stops serving at its own floor): its successor is close, ask again.
        if (this.now() >= deadline)
          throw new BrokerClientError('token_unavailable', 'no token with the safety margin left');
        await new Promise((resolve) => setTimeout(resolve, this.policy.duePollMs));
      }
    } catch (error) {
      const failure = asClientError(error);
      const still = this.usable();
      if (still && failure.retryable) return this.servedStale(still);
      throw failure;
    }
  }

  private usable(): HeldToken | undefined {
    const held = this.held;
    return held !== undefined && this.now() < held.usableUntil ? held : undefined;
  }

  private servedStale(held: HeldToken): string {
    this.hooks.servedStale?.({ profile: this.profile, usableUntil: new Date(held.usableUntil) });
    return held.token;
  }

  private refresh(): Promise<HeldToken> {
    this.inFlight ??= this.fetchToken().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchToken(): Promise<HeldToken> {
    const sentAt = this.now();
    try {
      const body = await this.api.token();
      const previous = this.held;
      const held = holdToken(body, sentAt, this.policy, this.random, previous);
      [this.held, this.heldPromise] = [held, Promise.resolve(held.token)];
      [this.failures, this.retryAt, this.lastError] = [0, 0, undefined];
      clearTimeout(this.retryTimer);
      this.hooks.refreshed?.({
        profile: this.profile,
        changed: previous?.token !== held.token,
        expiresAt: new Date(held.expiresAt),
        refreshAt: new Date(held.refreshAt),
      });
      return held;
    } catch (error) {
      throw this.failed(asClientError(error));
    }
  }

  /** Backs off (at least the broker's Retry-After) and, while a cached token lasts, retries in the background. */
  private failed(failure: BrokerClientError): BrokerClientError {
    const retryAfterMs = failure.retryAfterSeconds === undefined ? undefined : failure.retryAfterSeconds * 1000;
    const delayMs = retryDelayMs(this.failures++, this.policy, this.random, retryAfterMs);
    [this.retryAt, this.lastError] = [this.now() + delayMs, failure];
    const stale = failure.retryable && this.usable() !== undefined;
    clearTimeout(this.retryTimer);
    if (stale && !this.closed) {
      this.retryTimer = setTimeout(() => void this.refresh().catch(() => undefined), delayMs);
      this.retryTimer.unref();
    }
    this.hooks.failed?.({ profile: this.profile, error: failure, stale, retryInMs: delayMs });
    return failure;
  }

  private async report(token: string): Promise<string> {
    if (this.held?.token === token) [this.held, this.heldPromise] = [undefined, undefined];
    try {
      const { verdict } = await this.api.rejected(token);
      this.hooks.rejected?.({ profile: this.profile, verdict });
    } catch (error) {
      // The broker learns nothing; a fresh GET /token may still bring a newer token.
      this.hooks.failed?.({ profile: this.profile, error: asClientError(error), stale: false });
    }
    // A request that left before the report may bring the refused token back: ask again after it.
    await this.inFlight?.catch(() => undefined);
    if (this.held !== undefined && this.held.token !== token) return this.held.token;
    [this.retryAt, this.lastError] = [0, undefined];
    const next = (await this.refresh()).token;
    // A replica that has not heard yet (cut off from Redis) handed the refused token back:
    // the next 401 reports it again, instead of every call failing with it until refresh_at.
    if (next === token) this.reports.delete(token);
    return next;
  }
}
