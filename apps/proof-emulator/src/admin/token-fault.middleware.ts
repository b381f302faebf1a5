import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, NestMiddleware } from '@nestjs/common';
import { basicClientIdOf } from '../oauth/oauth-client-auth';
import { ClientAuthenticatorService } from '../oauth/client-authenticator.service';
import { EmulatorStatsService } from './emulator-stats.service';
import { FaultInjectorService } from './fault-injector.service';

const STATUS_TEXT = { '500': 'Internal Server Error', '503': 'Service Unavailable', '429': 'Too Many Requests' };

/**
 * Runs first on every POST /oauth/v2/token (before the body is even read): counts the
 * request, then plays the next queued fault, if any. Outages are answered on the raw
 * response because a real proxy or load balancer in front of Doorkeeper would do so.
 */
@Injectable()
export class TokenFaultMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  constructor(
    private readonly faults: FaultInjectorService,
    private readonly stats: EmulatorStatsService,
    private readonly clients: ClientAuthenticatorService,
  ) {}

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    this.stats.recordTokenRequest();
    const fault = this.faults.take();
    if (!fault) return next();
    if (fault.mode === 'latency') {
      setTimeout(next, fault.latencyMs);
      return;
    }
    // The grant handler will not run: attribute the request here, from Basic auth only.
    const clientId = basicClientIdOf(request.headers.authorization);
    if (this.clients.isKnown(clientId)) this.stats.recordClientTokenRequest(clientId);
    if (fault.mode === 'drop') {
      request.socket.destroy();
      return;
    }
    respond(response, fault.mode, fault.retryAfterSeconds);
  }
}

function respond(response: ServerResponse, mode: keyof typeof STATUS_TEXT, retryAfterSeconds: number): void {
  const status = Number(mode);
  const body = JSON.stringify({ status, error: STATUS_TEXT[mode] });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  };
  if (mode !== '500') headers['Retry-After'] = String(retryAfterSeconds);
  response.writeHead(status, headers).end(body);
}
