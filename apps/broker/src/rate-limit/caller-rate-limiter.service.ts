import { Injectable } from '@nestjs/common';
import { CallerAuthenticator } from '../auth/caller-authenticator.service';
import type { Caller } from '../auth/caller';
import type { BrokerConfig, CallerConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { LiveConfig } from '../config/live-config.service';
import { RateLimitedError } from '../http/broker.errors';
import { retryAfterSeconds } from '../http/retry-after';
import { FixedWindowStorage } from './fixed-window.storage';

const UNLIMITED = Number.POSITIVE_INFINITY;

/** 429 for a wait of `waitMs` from now. */
const limited = (waitMs: number) => new RateLimitedError(retryAfterSeconds(waitMs, 0));

/**
 * The broker's one rate limiter, used through CallerAdmission by GET /token and the Nest routes:
 * - per caller name (never per address: many pods of one service share a caller);
 * - per remote address, failed authentications only: once an address has used its budget it
 *   gets 429 before any key is checked, until its window ends, which slows key guessing.
 */
@Injectable()
export class CallerRateLimiter {
  private readonly addresses: FixedWindowStorage;
  private limits = new Map<string, number>();
  /** The callers list `limits` was built from: a config reload replaces it. */
  private limitsOf?: readonly CallerConfig[];

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly live: LiveConfig,
    private readonly authenticator: CallerAuthenticator,
    readonly callers: FixedWindowStorage,
  ) {
    this.addresses = new FixedWindowStorage(callers.now);
  }

  get windowMs(): number {
    return this.config.rateLimit.windowMs;
  }

  /** The caller's requests per window (Infinity: no limit). */
  limitOf(name: string): number {
    const callers = this.live.current.callers;
    if (callers !== this.limitsOf) {
      const fallback = this.config.rateLimit.perCaller;
      this.limits = new Map(callers.map((c) => [c.name, (c.rateLimit ?? fallback) || UNLIMITED]));
      this.limitsOf = callers;
    }
    return this.limits.get(name) ?? (this.config.rateLimit.perCaller || UNLIMITED);
  }

  /** CallerAuthenticator.authenticate behind the per-address budget of failed attempts. */
  authenticate(authorization: string | undefined, address: string | undefined): Caller {
    const budget = this.config.rateLimit.authFailuresPerAddress;
    // `size` first: with no recent failure at all there is nothing to look up.
    if (budget === 0 || address === undefined) return this.authenticator.authenticate(authorization);
    if (this.addresses.size > 0) {
      const wait = this.addresses.blockedFor(address, budget);
      if (wait > 0) throw limited(wait);
    }
    try {
      return this.authenticator.authenticate(authorization);
    } catch (error) {
      this.addresses.consume(address, budget, this.windowMs);
      throw error;
    }
  }

  /** Counts one request of an authenticated caller; 429 once it has used its window's budget. */
  consume(caller: Caller): void {
    const limit = this.limitOf(caller.name);
    if (limit === UNLIMITED) return;
    const wait = this.callers.consume(caller.name, limit, this.windowMs);
    if (wait > 0) throw limited(wait);
  }
}
