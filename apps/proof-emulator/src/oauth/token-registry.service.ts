import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EmulatorStatsService } from '../admin/emulator-stats.service';
import { CLOCK, Clock } from '../clock';
import { EMULATOR_CONFIG, EmulatorConfig, TokenPolicy } from '../config/emulator-config';
import { IssuedGrant, IssuedToken, TokenCheck } from './issued-token';

/**
 * The in-memory token store. It applies Doorkeeper's token policy on issue and keeps
 * expired and revoked tokens, so that token/info, resource calls and the admin lookup
 * can tell "expired" from "revoked" from "unknown".
 */
@Injectable()
export class TokenRegistryService {
  private readonly tokens = new Map<string, IssuedToken>();
  /** When token/info last called each token valid (the admin lookup's `vouchedAtMs`). */
  private readonly vouched = new Map<string, number>();
  private currentPolicy: TokenPolicy;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    private readonly stats: EmulatorStatsService,
  ) {
    this.currentPolicy = config.tokenPolicy;
  }

  get policy(): TokenPolicy {
    return this.currentPolicy;
  }

  setPolicy(policy: TokenPolicy): void {
    this.currentPolicy = policy;
  }

  /**
   * Grants a token for `clientId` with `scopes` under the current policy. `expiresIn` is
   * computed at the same instant, so a new token reports the full TTL.
   */
  issue(clientId: string, scopes: readonly string[]): IssuedGrant {
    const now = this.clock();
    const token = this.tokenFor(clientId, scopes, now);
    return { token, expiresIn: secondsLeftAt(token, now) };
  }

  private tokenFor(clientId: string, scopes: readonly string[], now: number): IssuedToken {
    const live = this.liveTokensOf(clientId, now);
    if (this.currentPolicy === 'reuse') {
      // Doorkeeper's reuse_access_token: an unexpired token for the same app and scopes
      // comes back as is (same created_at, less time left), even with <1 s remaining.
      const reusable = live.find((t) => sameScopes(t.scopes, scopes));
      if (reusable) return reusable;
    }
    if (this.currentPolicy === 'revoke-previous') {
      for (const previous of live) this.revokeRecord(previous, now);
    }
    const issued: IssuedToken = {
      token: randomBytes(32).toString('base64url'),
      clientId,
      scopes: [...scopes],
      issuedAtMs: now,
      expiresAtMs: now + this.config.tokenTtlSeconds * 1000,
      revokedAtMs: null,
    };
    this.tokens.set(issued.token, issued);
    this.stats.recordIssued(clientId);
    return issued;
  }

  /** token/info called `token` valid now. */
  vouch(token: IssuedToken): void {
    this.vouched.set(token.token, this.clock());
  }

  /** When token/info last called `token` valid, if ever. */
  vouchedAt(token: string): number | undefined {
    return this.vouched.get(token);
  }

  find(token: string): IssuedToken | undefined {
    return this.tokens.get(token);
  }

  check(token: string | undefined): TokenCheck {
    const found = token === undefined ? undefined : this.tokens.get(token);
    if (!found) return { ok: false, reason: 'unknown' };
    if (found.revokedAtMs !== null) return { ok: false, reason: 'revoked' };
    if (this.clock() >= found.expiresAtMs) return { ok: false, reason: 'expired' };
    return { ok: true, token: found };
  }

  /** Whole seconds left, rounded down and never negative, as `expires_in` reports it. */
  secondsLeft(token: IssuedToken): number {
    return secondsLeftAt(token, this.clock());
  }

  /** Revokes a live token; revoking a revoked, expired or unknown one changes nothing. */
  revoke(token: string): void {
    // Re-read the record: the caller's copy may predate an earlier revocation.
    const current = this.tokens.get(token);
    const now = this.clock();
    if (current && current.revokedAtMs === null && now < current.expiresAtMs) this.revokeRecord(current, now);
  }

  /** Revokes every live token and returns how many there were. */
  revokeAll(): number {
    const now = this.clock();
    const live = [...this.tokens.values()].filter((t) => t.revokedAtMs === null && now < t.expiresAtMs);
    for (const token of live) this.revokeRecord(token, now);
    return live.length;
  }

  /** Forgets every token and goes back to the configured policy. */
  reset(): void {
    this.tokens.clear();
    this.vouched.clear();
    this.currentPolicy = this.config.tokenPolicy;
  }

  private liveTokensOf(clientId: string, now: number): IssuedToken[] {
    return [...this.tokens.values()].filter(
      (t) => t.clientId === clientId && t.revokedAtMs === null && now < t.expiresAtMs,
    );
  }

  private revokeRecord(token: IssuedToken, now: number): void {
    this.tokens.set(token.token, { ...token, revokedAtMs: now });
    this.stats.recordRevoked(token.clientId);
  }
}

function secondsLeftAt(token: IssuedToken, now: number): number {
  return Math.max(0, Math.floor((token.expiresAtMs - now) / 1000));
}

function sameScopes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((scope) => b.includes(scope));
}
