import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  BrokerConfig,
  CallerConfig,
  PROOF_ENVIRONMENTS,
  ProfileConfig,
  RedisNode,
  RedisTopology,
} from './broker-config';
import { BROKER_ENV_KEYS, BrokerEnv } from './broker-env.schema';
import { CallerSchema } from './caller.schema';
import type { EncryptionKey } from '../crypto/token-cipher';
import { ConfigValidationError } from './config.errors';
import { ProfileSchema } from './profile.schema';
import { validateObject } from './validate-object';

type Problems = string[];

function readText(path: string, what: string, problems: Problems): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function readJson(path: string, what: string, problems: Problems): unknown {
  const text = readText(path, what, problems);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    problems.push(`${what}: ${path} is not valid JSON`);
    return undefined;
  }
}

/**
 * A profile's client secrets in order of preference (rotation: Proof applications can have
 * several valid secrets). Inline: comma-separated; in a file: one per line.
 */
function secretsOf(
  inline: string | string[] | undefined,
  file: string | undefined,
  where: string,
  problems: Problems,
): string[] {
  if (inline && file) problems.push(`${where}: set the client secret(s) or the secret file, not both`);
  const text = file ? readText(file, `${where} secret file`, problems) : undefined;
  const list = file ? (text ?? '').split(/\r?\n/) : Array.isArray(inline) ? inline : (inline ?? '').split(',');
  const secrets = list.map((secret) => secret.trim()).filter((secret) => secret.length > 0);
  if (secrets.length === 0 && text !== undefined) problems.push(`${where}: at least one client secret is required`);
  if (!inline && !file) problems.push(`${where}: a client secret is required (inline or from a file)`);
  return secrets;
}

function envProfile(env: BrokerEnv, problems: Problems): ProfileConfig[] {
  if (!env.PROOF_CLIENT_ID) {
    problems.push('PROOF_CLIENT_ID is required (or BROKER_PROFILES_FILE for several profiles)');
    return [];
  }
  const clientSecrets = secretsOf(
    env.PROOF_CLIENT_SECRET,
    env.PROOF_CLIENT_SECRET_FILE,
    'PROOF_CLIENT_SECRET',
    problems,
  );
  const baseUrl = env.PROOF_BASE_URL ?? PROOF_ENVIRONMENTS[env.PROOF_ENVIRONMENT];
  return [
    {
      name: 'default',
      baseUrl,
      clientId: env.PROOF_CLIENT_ID,
      clientSecrets,
      scope: env.PROOF_SCOPE || undefined,
      tokenPolicy: env.PROOF_TOKEN_POLICY,
    },
  ];
}

/** `secretFiles` collects each profile's clientSecretFile: they are watched for reloads too. */
function fileProfiles(path: string, problems: Problems, secretFiles: string[]): ProfileConfig[] {
  const raw = readJson(path, 'BROKER_PROFILES_FILE', problems);
  const list: unknown = Array.isArray(raw) ? raw : (raw as { profiles?: unknown } | undefined)?.profiles;
  if (raw !== undefined && (!Array.isArray(list) || list.length === 0)) {
    problems.push('BROKER_PROFILES_FILE: expected a non-empty array of profiles (or {"profiles": [...]})');
  }
  if (!Array.isArray(list)) return [];
  const seen = new Set<string>();
  return list.flatMap((entry: unknown, index) => {
    const where = `BROKER_PROFILES_FILE profiles[${index}]`;
    const { value, problems: found } = validateObject(ProfileSchema, entry, where);
    problems.push(...found);
    if (found.length > 0) return [];
    if (seen.has(value.name)) problems.push(`${where}: duplicate profile name "${value.name}"`);
    seen.add(value.name);
    if (value.clientSecretFile) secretFiles.push(value.clientSecretFile);
    const clientSecrets = secretsOf(value.clientSecrets ?? value.clientSecret, value.clientSecretFile, where, problems);
    const baseUrl = value.baseUrl ?? PROOF_ENVIRONMENTS[value.environment ?? 'fairfax'];
    return [
      {
        name: value.name,
        baseUrl,
        clientId: value.clientId,
        clientSecrets,
        scope: value.scope || undefined,
        tokenPolicy: value.tokenPolicy ?? 'new',
      },
    ];
  });
}

function callers(path: string | undefined, profiles: readonly ProfileConfig[], problems: Problems): CallerConfig[] {
  if (!path) {
    problems.push('BROKER_CALLERS_FILE is required: without callers nobody could get a token');
    return [];
  }
  const raw = readJson(path, 'BROKER_CALLERS_FILE', problems);
  const list: unknown = Array.isArray(raw) ? raw : (raw as { callers?: unknown } | undefined)?.callers;
  if (raw !== undefined && !Array.isArray(list)) problems.push('BROKER_CALLERS_FILE: expected an array of callers');
  if (!Array.isArray(list)) return [];
  const known = new Set(profiles.map((profile) => profile.name));
  const hashes = new Set<string>();
  return list.flatMap((entry: unknown, index) => {
    const where = `BROKER_CALLERS_FILE callers[${index}]`;
    const { value, problems: found } = validateObject(CallerSchema, entry, where);
    problems.push(...found);
    if (found.length > 0) return [];
    for (const name of value.profiles) {
      if (name !== '*' && !known.has(name)) problems.push(`${where}: unknown profile "${name}"`);
    }
    for (const hash of value.keySha256) {
      if (hashes.has(hash)) problems.push(`${where}: a key hash is used by two callers`);
      hashes.add(hash);
    }
    const caller = { name: value.name, keySha256: value.keySha256, roles: value.roles, profiles: value.profiles };
    return [value.rateLimit === undefined ? caller : { ...caller, rateLimit: value.rateLimit }];
  });
}

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
  // The lock must outlive one whole upstream request (its deadline) with room for a slow
  // Redis round trip either side, or a healthy holder could lose it mid-refresh.
  if (env.BROKER_LOCK_TTL_MS < 2 * env.BROKER_UPSTREAM_TIMEOUT_MS) {
    problems.push('BROKER_LOCK_TTL_MS must be at least twice BROKER_UPSTREAM_TIMEOUT_MS');
  }
  if (env.BROKER_BACKOFF_MAX_MS < env.BROKER_BACKOFF_BASE_MS)
    problems.push('BROKER_BACKOFF_MAX_MS must be >= BROKER_BACKOFF_BASE_MS');
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return {
    port: env.PORT,
    host: env.HOST,
    replicaId: env.BROKER_REPLICA_ID ?? `${hostname()}-${process.pid}`,
    logLevel: env.LOG_LEVEL,
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
      backoffBaseMs: env.BROKER_BACKOFF_BASE_MS,
      backoffMaxMs: env.BROKER_BACKOFF_MAX_MS,
      permanentFailureHoldMs: env.BROKER_PERMANENT_FAILURE_HOLD_MS,
      reconcileIntervalMs: env.BROKER_RECONCILE_INTERVAL_MS,
      coldWaitMs: env.BROKER_COLD_WAIT_MS,
      handOverMs: env.BROKER_HANDOVER_MS,
      rejectionRecheckMs: env.BROKER_REJECTION_RECHECK_MS,
      refreshWithoutRedisBelowMs: env.BROKER_REFRESH_WITHOUT_REDIS_BELOW_SECONDS * 1000,
    },
    rateLimit: {
      perCaller: env.BROKER_RATE_LIMIT_PER_CALLER,
      windowMs: env.BROKER_RATE_LIMIT_WINDOW_MS,
      authFailuresPerAddress: env.BROKER_RATE_LIMIT_AUTH_FAILURES,
    },
    trustedProxies: env.BROKER_TRUSTED_PROXIES?.split(',') ?? [],
  };
}
