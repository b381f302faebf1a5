import type { EncryptionKey } from '../crypto/token-cipher';

/**
 * token:read: GET /token and POST /token/rejected; token:info: metadata only; admin: POST /token/refresh;
 * proof:call: calls to Proof through the broker's proxy (/proof/*), the token injected.
 */
export const ROLES = ['token:read', 'token:info', 'admin', 'proof:call'] as const;
export type Role = (typeof ROLES)[number];

/** Proof's documented hosts (PROOF_API.md); any other base URL is set explicitly. */
export const PROOF_ENVIRONMENTS = {
  production: 'https://api.proof.com',
  fairfax: 'https://api.fairfax.proof.com',
} as const;
export type ProofEnvironment = keyof typeof PROOF_ENVIRONMENTS;

export interface ProfileConfig {
  readonly name: string;
  readonly baseUrl: string;
  readonly clientId: string;
  /** In order of preference; on invalid_client the next one is tried once. */
  readonly clientSecrets: readonly string[];
  readonly scope?: string;
  /**
   * Doorkeeper's setting on Proof's side. Only `revoke-previous` changes what the broker
   * does (a hand-over pause, so no replica serves the token the refresh is about to revoke);
   * `reuse` is detected from the answers.
   */
  readonly tokenPolicy: TokenPolicy;
}

export const TOKEN_POLICIES = ['new', 'reuse', 'revoke-previous'] as const;
export type TokenPolicy = (typeof TOKEN_POLICIES)[number];

export interface CallerConfig {
  readonly name: string;
  /** Lowercase hex SHA-256 of each accepted key: two allow rotation. */
  readonly keySha256: readonly string[];
  readonly roles: readonly Role[];
  /** Profile names, or '*' for every profile. */
  readonly profiles: readonly string[];
  /** Requests per rate-limit window for this caller, instead of BROKER_RATE_LIMIT_PER_CALLER (0: no limit). */
  readonly rateLimit?: number;
}

export interface RateLimitConfig {
  /** Requests per window per caller and replica (0: no limit). */
  readonly perCaller: number;
  readonly windowMs: number;
  /** Failed authentications per window per remote address before it gets 429 without a key check (0: off). */
  readonly authFailuresPerAddress: number;
}

export interface RefreshConfig {
  /** Fraction of a token's lifetime after which it is refreshed (2/3: 40 min before a 2 h expiry). */
  readonly refreshAtFraction: number;
  /** Fraction of the lifetime over which replicas spread their refresh attempts. */
  readonly jitterFraction: number;
  /** A token with less than this left is never served. */
  readonly minTtlMs: number;
  readonly checkIntervalMs: number;
  readonly upstreamTimeoutMs: number;
  /**
   * The most a refresh holds the lock (renewing its lease), and the bound other waits use
   * for "a refresh is over" (the hand-over's records, a rejection's pause).
   */
  readonly lockTtlMs: number;
  /** The lock's TTL in Redis, renewed every third of it while its holder works: how long a dead holder keeps it. */
  readonly lockLeaseMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly permanentFailureHoldMs: number;
  readonly reconcileIntervalMs: number;
  readonly coldWaitMs: number;
  /** revoke-previous only: how long replicas get to stop serving the old token before Proof revokes it. */
  readonly handOverMs: number;
  /**
   * revoke-previous: a replica stops serving from memory this long before its entry in the
   * replica registry can expire (drift and the answer's way to the caller); see ServingLease.
   */
  readonly presenceMarginMs: number;
  /** revoke-previous, past the presence lease: the least time between two token/info checks of the held token. */
  readonly leaseCheckIntervalMs: number;
  /**
   * POST /token/rejected: how long Proof's "still valid" answer about a reported token stands
   * before a new report may ask again; 0: until the token expires, one check per fence (a
   * "revoked" answer always stands until the token expires).
   */
  readonly rejectionRecheckMs: number;
  /**
   * 0 (default): never refresh without the lock. Otherwise, while Redis is unreachable, a
   * replica whose token has less than this left refreshes on its own: every replica may do
   * so, which under revoke-previous revokes each other's tokens.
   */
  readonly refreshWithoutRedisBelowMs: number;
}

/** The credential-injecting proxy (/proof/*): one keep-alive pool per profile. */
export interface ProxyConfig {
  readonly maxConnections: number;
  /** Request bodies above this get 413; bodies stream, only the first 64 KiB are kept for a replay. */
  readonly maxBodyBytes: number;
  readonly connectTimeoutMs: number;
  /** From the request's dispatch to Proof's response headers. */
  readonly headersTimeoutMs: number;
  /** Longest pause between two chunks of Proof's response body. */
  readonly idleTimeoutMs: number;
}

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** One Redis (URL), a Sentinel-managed primary, or a Redis Cluster. */
export type RedisTopology =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      readonly name: string;
      readonly password?: string;
    }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisNode[]; readonly password?: string };

export interface BrokerConfig {
  readonly port: number;
  readonly host: string;
  readonly replicaId: string;
  /** After SIGTERM, readiness is red this long before the server stops accepting requests. */
  readonly shutdownDelayMs: number;
  readonly logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /**
   * Access lines (at the `log` level and above): `aggregate`, a line per answer >= 400 and one
   * per caller, profile and token fingerprint and interval for the rest; `all`, a line per
   * request; `failures`, only the lines of answers >= 400.
   */
  readonly accessLog: 'aggregate' | 'all' | 'failures';
  /** How often the aggregated handouts are written (ms). */
  readonly auditIntervalMs: number;
  /** Absent: the embedded single-replica store. */
  readonly redis?: RedisTopology;
  /** Keys for tokens at rest in Redis: the first encrypts, all decrypt. Empty on the embedded store. */
  readonly encryptionKeys: readonly EncryptionKey[];
  readonly profiles: readonly ProfileConfig[];
  readonly callers: readonly CallerConfig[];
  readonly refresh: RefreshConfig;
  readonly rateLimit: RateLimitConfig;
  readonly proxy: ProxyConfig;
  /** Proxies whose X-Forwarded-For is believed (Fastify trustProxy); empty: the socket's peer is the client. */
  readonly trustedProxies: readonly string[];
  /** The files this configuration was read from: ConfigReloader watches them (and re-reads all on SIGHUP). */
  readonly sourceFiles?: readonly string[];
}
