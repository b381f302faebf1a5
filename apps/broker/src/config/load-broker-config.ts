import { hostname } from 'node:os';
import { BrokerConfig, RedisNode, RedisTopology } from './broker-config';
import { BROKER_ENV_KEYS, BrokerEnv } from './broker-env.schema';
import type { EncryptionKey } from '../crypto/token-cipher';
import { ConfigValidationError } from './config.errors';
import { callers, envProfile, fileProfiles, Problems, readText } from './config-files';
import { validateObject } from './validate-object';
const nodes = (list: string): RedisNode[] =>
  list.split(',').map((entry) => {
    const [host, port] = entry.split(':');
    return { host, port: Number(port) };
  });

function redisTopology(env: BrokerEnv, problems: Problems): RedisTopology | undefined {
  const chosen = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => env[name]);
  if (chosen.length > 1) problems.push(`set one of ${chosen.join(', ')}, not several`);
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME)
    problems.push('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS');
  if (env.REDIS_URL) return { kind: 'single', url: env.REDIS_URL };
  const password = env.REDIS_PASSWORD;
  if (env.REDIS_SENTINELS) {
    return { kind: 'sentinel', sentinels: nodes(env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_NAME ?? '', password };
  }
  if (env.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: nodes(env.REDIS_CLUSTER_NODES), password };
  return undefined;
}

const KEY_ENTRY = /^([\w.-]{1,32}):([A-Za-z0-9+/_-]{43}=?)$/;

/** `kid:base64(32 bytes)` entries, comma-separated; required whenever tokens go to Redis. */
function encryptionKeysOf(env: BrokerEnv, redis: boolean, problems: Problems): EncryptionKey[] {
  if (env.BROKER_ENCRYPTION_KEYS && env.BROKER_ENCRYPTION_KEYS_FILE) {
    problems.push('set BROKER_ENCRYPTION_KEYS or BROKER_ENCRYPTION_KEYS_FILE, not both');
  }
  const file = env.BROKER_ENCRYPTION_KEYS_FILE;
  const text = file ? readText(file, 'BROKER_ENCRYPTION_KEYS_FILE', problems) : env.BROKER_ENCRYPTION_KEYS;
  if (!text?.trim()) {
    if (redis)
      problems.push(
        'BROKER_ENCRYPTION_KEYS (or _FILE) is required with Redis: tokens are encrypted at rest (npm run broker:encryption-key)',
      );
    return [];
  }
  const keys: EncryptionKey[] = [];
  text
    .trim()
    .split(/[\s,]+/)
    .forEach((entry, index) => {
      const match = KEY_ENTRY.exec(entry);
      const key = match
        ? Buffer.from(match[2], match[2].includes('-') || match[2].includes('_') ? 'base64url' : 'base64')
        : undefined;
      if (!match || key?.length !== 32)
        problems.push(`BROKER_ENCRYPTION_KEYS entry ${index + 1}: expected <key id>:<base64 of 32 bytes>`);
      else if (keys.some((k) => k.id === match[1]))
        problems.push(`BROKER_ENCRYPTION_KEYS entry ${index + 1}: duplicate key id`);
      else keys.push({ id: match[1], key: key });
    });
  return keys;
}

/**
 * Reads the broker's configuration from `env` (and the files it names), validates all of
 * it, and throws one ConfigValidationError listing every problem. Messages name variables
 * and paths, never values, so a secret pasted in the wrong place is not echoed.
 */
export function loadBrokerConfig(source: NodeJS.ProcessEnv): BrokerConfig {
  const picked = Object.fromEntries(
    BROKER_ENV_KEYS.filter((key) => source[key] !== undefined && source[key] !== '').map((key) => [key, source[key]]),
  );
  const { value: env, problems } = validateObject(BrokerEnv, picked, '');
  if (env.PROOF_CLIENT_ID && env.BROKER_PROFILES_FILE) {
    problems.push('set either PROOF_CLIENT_ID (one "default" profile) or BROKER_PROFILES_FILE, not both');
  }
  const secretFiles: string[] = [];
  const profiles = env.BROKER_PROFILES_FILE
    ? fileProfiles(env.BROKER_PROFILES_FILE, problems, secretFiles)
    : envProfile(env, problems);
  const callerList = callers(env.BROKER_CALLERS_FILE, profiles, problems);
  const redis = redisTopology(env, problems);
  const encryptionKeys = encryptionKeysOf(env, redis !== undefined, problems);
  // A holder keeps the lock by renewing its lease up to BROKER_LOCK_TTL_MS: long enough for
  // one whole upstream request (its deadline) with room for the hand-over and a slow Redis
  // round trip either side, or a healthy holder would give up mid-refresh.
  if (env.BROKER_LOCK_TTL_MS < 2 * env.BROKER_UPSTREAM_TIMEOUT_MS) {
    problems.push('BROKER_LOCK_TTL_MS must be at least twice BROKER_UPSTREAM_TIMEOUT_MS');
  }
  // The lease is what a dead holder costs; the bound on a live one cannot be shorter.
  if (env.BROKER_LOCK_LEASE_MS > env.BROKER_LOCK_TTL_MS) {
    problems.push('BROKER_LOCK_LEASE_MS must be at most BROKER_LOCK_TTL_MS');
  }
  // A replica that renews its presence at every reconcile must never see its lease lapse. The
  // presence TTL is token/refresh-policy's presenceTtlMs (config imports nothing from token/).
  const presenceMs = Math.max(3 * env.BROKER_RECONCILE_INTERVAL_MS, 3_000);
  if (env.BROKER_PRESENCE_MARGIN_MS >= presenceMs - env.BROKER_RECONCILE_INTERVAL_MS)
    problems.push(
      'BROKER_PRESENCE_MARGIN_MS must be below the presence TTL (max(3 x BROKER_RECONCILE_INTERVAL_MS, 3000)) minus BROKER_RECONCILE_INTERVAL_MS',
    );
  if (env.BROKER_BACKOFF_MAX_MS < env.BROKER_BACKOFF_BASE_MS)
    problems.push('BROKER_BACKOFF_MAX_MS must be >= BROKER_BACKOFF_BASE_MS');
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return {
    port: env.PORT,
    host: env.HOST,
    replicaId: env.BROKER_REPLICA_ID ?? `${hostname()}-${process.pid}`,
    logLevel: env.LOG_LEVEL,
    accessLog: env.BROKER_ACCESS_LOG,
    auditIntervalMs: env.BROKER_AUDIT_INTERVAL_MS,
    shutdownDelayMs: env.BROKER_SHUTDOWN_DELAY_MS,
    redis,
    encryptionKeys,
    profiles,
    callers: callerList,
    sourceFiles: [
      env.BROKER_CALLERS_FILE,
      env.BROKER_PROFILES_FILE,
      env.PROOF_CLIENT_SECRET_FILE,
      env.BROKER_ENCRYPTION_KEYS_FILE,
      ...secretFiles,
    ].filter((file): file is string => file !== undefined),
    refresh: {
      refreshAtFraction: env.BROKER_REFRESH_AT_FRACTION,
      jitterFraction: env.BROKER_REFRESH_JITTER_FRACTION,
      minTtlMs: env.BROKER_MIN_TTL_SECONDS * 1000,
      checkIntervalMs: env.BROKER_CHECK_INTERVAL_MS,
      upstreamTimeoutMs: env.BROKER_UPSTREAM_TIMEOUT_MS,
      lockTtlMs: env.BROKER_LOCK_TTL_MS,
      lockLeaseMs: env.BROKER_LOCK_LEASE_MS,
      backoffBaseMs: env.BROKER_BACKOFF_BASE_MS,
      backoffMaxMs: env.BROKER_BACKOFF_MAX_MS,
      permanentFailureHoldMs: env.BROKER_PERMANENT_FAILURE_HOLD_MS,
      reconcileIntervalMs: env.BROKER_RECONCILE_INTERVAL_MS,
      coldWaitMs: env.BROKER_COLD_WAIT_MS,
      handOverMs: env.BROKER_HANDOVER_MS,
      presenceMarginMs: env.BROKER_PRESENCE_MARGIN_MS,
      leaseCheckIntervalMs: env.BROKER_LEASE_CHECK_INTERVAL_MS,
      rejectionRecheckMs: env.BROKER_REJECTION_RECHECK_MS,
      refreshWithoutRedisBelowMs: env.BROKER_REFRESH_WITHOUT_REDIS_BELOW_SECONDS * 1000,
    },
    rateLimit: {
      perCaller: env.BROKER_RATE_LIMIT_PER_CALLER,
      windowMs: env.BROKER_RATE_LIMIT_WINDOW_MS,
      authFailuresPerAddress: env.BROKER_RATE_LIMIT_AUTH_FAILURES,
    },
    trustedProxies: env.BROKER_TRUSTED_PROXIES?.split(',') ?? [],
    proxy: {
      maxConnections: env.BROKER_PROXY_MAX_CONNECTIONS,
      maxBodyBytes: env.BROKER_PROXY_MAX_BODY_BYTES,
      connectTimeoutMs: env.BROKER_PROXY_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: env.BROKER_PROXY_HEADERS_TIMEOUT_MS,
      idleTimeoutMs: env.BROKER_PROXY_IDLE_TIMEOUT_MS,
    },
  };
}
