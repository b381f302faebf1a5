// class-transformer's @Type reads design metadata while the class is being defined.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  getMetadataStorage,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { PROOF_ENVIRONMENTS, TOKEN_POLICIES, TokenPolicy } from './broker-config';

const NODE_LIST = /^[\w.-]+:\d{1,5}(,[\w.-]+:\d{1,5})*$/;
const PROXY = String.raw`(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)`;
const TRUSTED_PROXIES = new RegExp(`^${PROXY}(,${PROXY})*$`);
const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
const ACCESS_LOGS = ['aggregate', 'all', 'failures'] as const;
const url = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Every environment variable the broker reads, with its default. This class is the only
 * place defaults live; `.env.example` mirrors it.
 */
export class BrokerEnv {
  @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  @IsOptional() @IsString() @MinLength(1) BROKER_REPLICA_ID?: string;
  @IsIn(LOG_LEVELS) LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'log';
  @IsIn(ACCESS_LOGS) BROKER_ACCESS_LOG: (typeof ACCESS_LOGS)[number] = 'aggregate';
  @Type(() => Number) @IsInt() @Min(100) @Max(60_000) BROKER_AUDIT_INTERVAL_MS = 1000;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;
  @IsOptional()
  @Matches(NODE_LIST, { message: 'REDIS_SENTINELS must be host:port[,host:port...]' })
  REDIS_SENTINELS?: string;
  @IsOptional()
  @Matches(/^[\w.-]+$/, { message: 'REDIS_SENTINEL_NAME must be a master name' })
  REDIS_SENTINEL_NAME?: string;
  @IsOptional()
  @Matches(NODE_LIST, { message: 'REDIS_CLUSTER_NODES must be host:port[,host:port...]' })
  REDIS_CLUSTER_NODES?: string;
  @IsOptional() @IsString() @MinLength(1) REDIS_PASSWORD?: string;
  @IsOptional() @IsString() @MinLength(1) BROKER_ENCRYPTION_KEYS?: string;
  @IsOptional() @IsString() @MinLength(1) BROKER_ENCRYPTION_KEYS_FILE?: string;

  @IsIn(Object.keys(PROOF_ENVIRONMENTS)) PROOF_ENVIRONMENT: keyof typeof PROOF_ENVIRONMENTS = 'fairfax';
  @IsOptional() @IsUrl(url) PROOF_BASE_URL?: string;
  @IsOptional() @IsString() @MinLength(1) PROOF_CLIENT_ID?: string;
  @IsOptional() @IsString() @MinLength(1) PROOF_CLIENT_SECRET?: string;
  @IsOptional() @IsString() @MinLength(1) PROOF_CLIENT_SECRET_FILE?: string;
  @IsOptional() @IsString() PROOF_SCOPE?: string;
  @IsIn(TOKEN_POLICIES) PROOF_TOKEN_POLICY: TokenPolicy = 'new';
  @IsOptional() @IsString() @MinLength(1) BROKER_PROFILES_FILE?: string;
  @IsOptional() @IsString() @MinLength(1) BROKER_CALLERS_FILE?: string;

  @Type(() => Number) @IsNumber() @Min(0.1) @Max(0.95) BROKER_REFRESH_AT_FRACTION = 0.667;
  @Type(() => Number) @IsNumber() @Min(0) @Max(0.5) BROKER_REFRESH_JITTER_FRACTION = 0.05;
  @Type(() => Number) @IsInt() @Min(0) BROKER_MIN_TTL_SECONDS = 30;
  @Type(() => Number) @IsInt() @Min(50) BROKER_CHECK_INTERVAL_MS = 1_000;
  @Type(() => Number) @IsInt() @Min(100) BROKER_UPSTREAM_TIMEOUT_MS = 10_000;
  @Type(() => Number) @IsInt() @Min(500) BROKER_LOCK_TTL_MS = 30_000;
  // The refresh lock's lease, renewed every third of it while its holder works: a dead holder's bound.
  @Type(() => Number) @IsInt() @Min(300) BROKER_LOCK_LEASE_MS = 3_000;
  @Type(() => Number) @IsInt() @Min(10) BROKER_BACKOFF_BASE_MS = 1_000;
  @Type(() => Number) @IsInt() @Min(100) BROKER_BACKOFF_MAX_MS = 60_000;
  @Type(() => Number) @IsInt() @Min(1_000) BROKER_PERMANENT_FAILURE_HOLD_MS = 300_000;
  @Type(() => Number) @IsInt() @Min(100) BROKER_RECONCILE_INTERVAL_MS = 5_000;
  @Type(() => Number) @IsInt() @Min(100) BROKER_COLD_WAIT_MS = 5_000;
  @Type(() => Number) @IsInt() @Min(0) @Max(5_000) BROKER_HANDOVER_MS = 200;
  // revoke-previous: the presence lease ends this long before the registry entry can expire.
  @Type(() => Number) @IsInt() @Min(100) BROKER_PRESENCE_MARGIN_MS = 1_000;
  // revoke-previous, past the presence lease: at most one token/info check per this period.
  @Type(() => Number) @IsInt() @Min(500) @Max(60_000) BROKER_LEASE_CHECK_INTERVAL_MS = 3_000;
  // 0: Proof's "still valid" about a reported token stands for the token's life (one check per fence).
  @Type(() => Number) @IsInt() @Min(0) BROKER_REJECTION_RECHECK_MS = 0;
  @Type(() => Number) @IsInt() @Min(0) @Max(120_000) BROKER_SHUTDOWN_DELAY_MS = 5_000;
  @Type(() => Number) @IsInt() @Min(0) BROKER_REFRESH_WITHOUT_REDIS_BELOW_SECONDS = 0;
  // Services call GET /token before each outbound request, so a busy one may make hundreds a
  // second: 2000 per second per caller (and per replica) only stops a runaway loop.
  @Type(() => Number) @IsInt() @Min(0) BROKER_RATE_LIMIT_PER_CALLER = 2_000;
  @Type(() => Number) @IsInt() @Min(100) @Max(3_600_000) BROKER_RATE_LIMIT_WINDOW_MS = 1_000;
  @Type(() => Number) @IsInt() @Min(0) BROKER_RATE_LIMIT_AUTH_FAILURES = 100;
  // The proxy (/proof/*): per-profile connection bound, request body limit, timeouts towards Proof.
  @Type(() => Number) @IsInt() @Min(1) @Max(4_096) BROKER_PROXY_MAX_CONNECTIONS = 64;
  @Type(() => Number) @IsInt() @Min(0) BROKER_PROXY_MAX_BODY_BYTES = 10 * 1024 * 1024;
  @Type(() => Number) @IsInt() @Min(100) BROKER_PROXY_CONNECT_TIMEOUT_MS = 5_000;
  @Type(() => Number) @IsInt() @Min(100) BROKER_PROXY_HEADERS_TIMEOUT_MS = 30_000;
  @Type(() => Number) @IsInt() @Min(100) BROKER_PROXY_IDLE_TIMEOUT_MS = 30_000;
  // Behind a load balancer every request comes from its address: trusting it for
  // X-Forwarded-For gives the audit log and the per-address limit the real client.
  @IsOptional()
  @Matches(TRUSTED_PROXIES, {
    message: 'BROKER_TRUSTED_PROXIES must be addresses or CIDRs (or loopback, linklocal, uniquelocal), comma-separated',
  })
  BROKER_TRUSTED_PROXIES?: string;
}

/** Every variable BrokerEnv declares (optional ones included), from its validation metadata. */
export const BROKER_ENV_KEYS: readonly string[] = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(BrokerEnv, '', true, false)
      .map((m) => m.propertyName),
  ),
];
