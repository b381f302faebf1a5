import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from '@nestjs/common';
import { CallerAuthenticator } from '../auth/caller-authenticator.service';
import { CallerRateLimiter } from '../rate-limit/caller-rate-limiter.service';
import { describeError } from '../http/error-response';
import { recordAudit, type RequestAudit } from '../logging/request-audit';
import { staticSecurityHeaders } from '../http/security-headers';
import { TokenFingerprinter } from '../logging/token-fingerprint';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { ProfileResolver } from './profile-resolver';
import { parseTokenQuery } from './token-query';
import { TokenBodies } from './token-body';
import type { Caller } from '../auth/caller';
import { TokenService } from './token.service';
import type { TokenRecord } from './token-record';

/** The 200 body goes out pre-serialized (TokenBodies); this schema documents it and serializes any object. */
const RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    expires_at: { type: 'string' },
    scope: { type: 'string' },
    profile: { type: 'string' },
  },
  required: ['access_token', 'token_type', 'expires_in', 'expires_at', 'scope', 'profile'],
} as const;

const ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

/**
 * GET /token as a plain route on Nest's own Fastify instance: Nest's per-request pipeline
 * (guards, interceptors, pipes, filters) costs about 40 % of the throughput of this route.
 * It runs the same CallerAuthenticator, ProfileResolver, TokenService and error mapping as
 * the Nest routes, so there is one implementation of auth and serving.
 */
export function registerTokenRoute(app: NestFastifyApplication): void {
  const auth = app.get(CallerAuthenticator);
  const limiter = app.get(CallerRateLimiter);
  const profiles = app.get(ProfileResolver);
  const tokens = app.get(TokenService);
  const metrics = app.get(BrokerMetrics);
  const fingerprints = app.get(TokenFingerprinter);
  const logger = new Logger('TokenRoute');
  // helmet's headers as a constant (helmet's own hook is off for this route), plus no caching.
  const headers = {
    ...staticSecurityHeaders(),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    // The 200 body is sent as an already serialized string (TokenBodies).
    'content-type': 'application/json; charset=utf-8',
  };
  const bodies = new TokenBodies();
  // One labelled counter per caller and profile, so counting does not hash labels per request.
  const servedCounters = new WeakMap<Caller, Map<string, { inc(): void }>>();
  const servedCounter = (caller: Caller, profile: string) => {
    let byProfile = servedCounters.get(caller);
    if (!byProfile) servedCounters.set(caller, (byProfile = new Map<string, { inc(): void }>()));
    let counter = byProfile.get(profile);
    if (!counter) byProfile.set(profile, (counter = metrics.served.labels({ profile, caller: caller.name })));
    return counter;
  };
  app
    .getHttpAdapter()
    .getInstance()
    .get(
      '/token',
      { helmet: false, schema: { response: { 200: RESPONSE_SCHEMA, '4xx': ERROR_SCHEMA, '5xx': ERROR_SCHEMA } } },
      async (request, reply) => {
        void reply.headers(headers);
        // Filled as the request goes: the access line (access-log.ts) carries what is known.
        const fields: RequestAudit = {};
        recordAudit(request.raw, fields);
        try {
          const caller = limiter.authenticate(request.headers.authorization, request.ip);
          limiter.consume(caller);
          fields.caller = caller.name;
          const query = parseTokenQuery(request.query as Record<string, unknown>);
          const profile = profiles.nameFor(query.profile);
          auth.authorize(caller, 'token:read', profile);
          profiles.require(profile);
          const pending = tokens.getToken(profile, query.minTtlMs);
          const record: TokenRecord = pending instanceof Promise ? await pending : pending;
          servedCounter(caller, profile).inc();
          fields.profile = profile;
          fields.fence = record.fence;
          fields.fingerprint = fingerprints.of(record.accessToken);
          return bodies.json(record, Date.now());
        } catch (exception) {
          const { status, body, retryAfterSeconds, unexpected } = describeError(exception);
          if (unexpected) logger.error(`unhandled ${unexpected}`);
          if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
          return reply.status(status).send(body);
        }
      },
    );
}
