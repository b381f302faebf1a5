import { Injectable, NotFoundException } from '@nestjs/common';
import { TokenPolicy } from '../config/emulator-config';
import { ClientAuthenticatorService } from '../oauth/client-authenticator.service';
import { TokenRegistryService } from '../oauth/token-registry.service';
import { FaultRequestDto } from './admin.dto';
import { DateSkewService } from './date-skew.service';
import { EmulatorStatsService } from './emulator-stats.service';
import { FaultInjectorService, QueuedFault } from './fault-injector.service';

export interface TokenLookup {
  known: boolean;
  clientId: string | null;
  issuedAtMs: number | null;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  /**
   * When token/info last called it valid: a broker serving on Proof's word (past its presence
   * lease) may hand out a token Proof revokes a moment later (RELIABILITY.md, "not guaranteed").
   */
  vouchedAtMs: number | null;
}

/** What the lookup says of a token this emulator never issued. */
const UNKNOWN_TOKEN: Readonly<TokenLookup> = Object.freeze({
  known: false,
  clientId: null,
  issuedAtMs: null,
  expiresAtMs: null,
  revokedAtMs: null,
  vouchedAtMs: null,
});

/** What the admin API does; the tests' window into the emulator's state. */
@Injectable()
export class EmulatorAdminService {
  constructor(
    private readonly registry: TokenRegistryService,
    private readonly stats: EmulatorStatsService,
    private readonly faults: FaultInjectorService,
    private readonly clients: ClientAuthenticatorService,
    private readonly skew: DateSkewService,
  ) {}

  /** Clock skew: every answer's Date header `dateOffsetMs` from this host's clock. */
  setDateOffset(dateOffsetMs: number): { dateOffsetMs: number } {
    this.skew.set(dateOffsetMs);
    return { dateOffsetMs: this.skew.offsetMs };
  }

  /** A secret added to or revoked from an application, as on Proof's dashboard: tokens are kept. */
  setSecrets(uid: string, secrets: readonly string[]): { secrets: number } {
    if (!this.clients.setSecrets(uid, secrets)) throw new NotFoundException([`no client "${uid}"`]);
    return { secrets: secrets.length };
  }

  addFault(request: FaultRequestDto): { pending: QueuedFault[] } {
    const fault = {
      mode: request.mode,
      retryAfterSeconds: request.retryAfterSeconds ?? 1,
      latencyMs: request.latencyMs ?? 0,
    };
    this.faults.enqueue(fault, request.count ?? 1);
    return { pending: this.faults.pending() };
  }

  clearFaults(): { cleared: number } {
    return { cleared: this.faults.clear() };
  }

  lookup(tokens: readonly string[]): { tokens: TokenLookup[] } {
    return {
      tokens: tokens.map((value) => {
        const token = this.registry.find(value);
        if (!token) return UNKNOWN_TOKEN;
        const { clientId, issuedAtMs, expiresAtMs, revokedAtMs } = token;
        const vouchedAtMs = this.registry.vouchedAt(value) ?? null;
        return { known: true, clientId, issuedAtMs, expiresAtMs, revokedAtMs, vouchedAtMs };
      }),
    };
  }

  setPolicy(policy: TokenPolicy): { policy: TokenPolicy } {
    this.registry.setPolicy(policy);
    return { policy: this.registry.policy };
  }

  revokeAll(): { revoked: number } {
    return { revoked: this.registry.revokeAll() };
  }

  /** Back to a fresh emulator: no tokens, zero counters, no faults, no skew, the configured policy. */
  reset(): Record<string, never> {
    this.registry.reset();
    this.stats.reset();
    this.faults.clear();
    this.clients.resetSecrets();
    this.skew.set(0);
    return {};
  }
}
