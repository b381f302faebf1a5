import { Injectable } from '@nestjs/common';

export interface ClientStats {
  tokenRequests: number;
  tokensIssued: number;
  tokensRevoked: number;
}

export interface EmulatorStats {
  tokenRequests: number;
  tokensIssued: number;
  tokensRevoked: number;
  tokenInfoRequests: number;
  clients: Record<string, ClientStats>;
}

/** Counters the tests read through GET /_emulator/stats to see what a broker really sent. */
@Injectable()
export class EmulatorStatsService {
  private stats = EmulatorStatsService.empty();

  /** Every POST /oauth/v2/token that reached the server, faulted ones included. */
  recordTokenRequest(): void {
    this.stats.tokenRequests += 1;
  }

  /** Per-application request count, for requests that name a known application. */
  recordClientTokenRequest(clientId: string): void {
    this.client(clientId).tokenRequests += 1;
  }

  recordIssued(clientId: string): void {
    this.stats.tokensIssued += 1;
    this.client(clientId).tokensIssued += 1;
  }

  recordRevoked(clientId: string): void {
    this.stats.tokensRevoked += 1;
    this.client(clientId).tokensRevoked += 1;
  }

  recordTokenInfoRequest(): void {
    this.stats.tokenInfoRequests += 1;
  }

  snapshot(): EmulatorStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = EmulatorStatsService.empty();
  }

  private client(clientId: string): ClientStats {
    const existing = this.stats.clients[clientId];
    if (existing) return existing;
    const created = { tokenRequests: 0, tokensIssued: 0, tokensRevoked: 0 };
    this.stats.clients[clientId] = created;
    return created;
  }

  private static empty(): EmulatorStats {
    return { tokenRequests: 0, tokensIssued: 0, tokensRevoked: 0, tokenInfoRequests: 0, clients: {} };
  }
}
