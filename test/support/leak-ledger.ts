import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Redis from 'ioredis';
import { join } from 'node:path';

/**
 * The leak scan's ledger. During a test run (`$LEAK_SCAN_DIR`, set by test/leak-scan.setup.ts)
 * the harness records every secret and token it hands out or sees issued, and the
 * artifacts where none may appear besides child processes' output (captured by
 * scripts/lib/output-capture.ts): Redis keyspace dumps and /metrics scrapes. At the end of
 * the run, test/leak-scan.teardown.ts searches every artifact for every recorded value.
 * Outside a test run every function here does nothing.
 */
export type SecretKind = 'client-secret' | 'caller-key' | 'encryption-key' | 'redis-password' | 'access-token';

const leakDir = (): string | undefined => process.env.LEAK_SCAN_DIR;

/** Shorter values would match by chance (and no secret of ours is that short). */
const MIN_LENGTH = 8;

export function recordSecret(kind: SecretKind, value: string | undefined): void {
  const dir = leakDir();
  if (!dir || !value || value.length < MIN_LENGTH) return;
  mkdirSync(join(dir, 'ledger'), { recursive: true });
  appendFileSync(join(dir, 'ledger', `${process.pid}.jsonl`), `${JSON.stringify({ kind, value })}\n`);
}

/**
 * A client secret (or any test credential) long and random enough for the scan to find
 * anywhere it shows up, already in the ledger: 32 base64url characters (192 bits).
 */
export function testSecret(kind: SecretKind = 'client-secret'): string {
  const secret = randomBytes(24).toString('base64url');
  recordSecret(kind, secret);
  return secret;
}

let captured = 0;

/**
 * A file in the scan's output directory for the log lines of something that runs inside
 * the test process (a broker started in-process): undefined outside a test run.
 */
export function captureFile(name: string): string | undefined {
  const dir = leakDir();
  if (!dir) return undefined;
  mkdirSync(join(dir, 'output'), { recursive: true });
  return join(dir, 'output', `${name.replace(/[^\w.-]+/g, '_')}-${process.pid}-in-process-${++captured}.log`);
}

export function recordArtifact(kind: 'redis' | 'metrics', name: string, content: string): void {
  const dir = leakDir();
  if (!dir) return;
  mkdirSync(join(dir, kind), { recursive: true });
  const file = `${name.replace(/[^\w.-]+/g, '_')}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.txt`;
  writeFileSync(join(dir, kind, file), content);
}

const seenTokens = new Set<string>();

/**
 * A token a test was handed (by a broker whose emulator runs as a separate process, where
 * the instrumented in-process registry does not see it): recorded once.
 */
export function recordServedToken(token: string | undefined): void {
  if (!token || seenTokens.has(token)) return;
  seenTokens.add(token);
  recordSecret('access-token', token);
}

const readIfFile = (path: string | undefined): string => (path && existsSync(path) ? readFileSync(path, 'utf8') : '');

/** Every secret in a broker's or emulator's environment, including the files it names. */
export function recordEnvSecrets(env: NodeJS.ProcessEnv): void {
  if (!leakDir()) return;
  const secretList = (text: string | undefined) => (text ?? '').split(/[\n,]/).map((s) => s.trim());
  for (const secret of secretList(env.PROOF_CLIENT_SECRET)) recordSecret('client-secret', secret);
  for (const secret of secretList(readIfFile(env.PROOF_CLIENT_SECRET_FILE))) recordSecret('client-secret', secret);
  const keys = [...secretList(env.BROKER_ENCRYPTION_KEYS), ...secretList(readIfFile(env.BROKER_ENCRYPTION_KEYS_FILE))];
  for (const entry of keys) recordSecret('encryption-key', entry.slice(entry.indexOf(':') + 1));
  recordSecret('redis-password', env.REDIS_PASSWORD);
  for (const app of secretList(env.EMULATOR_CLIENTS)) {
    for (const secret of app.slice(app.indexOf(':') + 1).split('|')) recordSecret('client-secret', secret);
  }
  const profiles = readIfFile(env.BROKER_PROFILES_FILE);
  if (profiles) recordProfileSecrets(profiles, secretList);
}

type ProfileEntry = { clientSecret?: string; clientSecrets?: string[]; clientSecretFile?: string };

function recordProfileSecrets(text: string, secretList: (text: string | undefined) => string[]): void {
  let entries: ProfileEntry[];
  try {
    entries = JSON.parse(text) as ProfileEntry[];
  } catch {
    return; // a test of an invalid profiles file: nothing booted with it
  }
  if (!Array.isArray(entries)) return;
  for (const entry of entries) {
    const secrets = [
      entry.clientSecret,
      ...(entry.clientSecrets ?? []),
      ...secretList(readIfFile(entry.clientSecretFile)),
    ];
    for (const secret of secrets) recordSecret('client-secret', secret);
  }
}

/** Every key of a Redis and its value, as text, for the leak scan (best effort, bounded in time). */
export async function recordKeyspace(url: string, name: string): Promise<void> {
  if (!leakDir()) return;
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    commandTimeout: 2_000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  const lines: string[] = [];
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const key of keys) lines.push(JSON.stringify({ key, value: await readAny(redis, key) }));
    } while (cursor !== '0');
  } catch {
    // Already down (a test killed it): what was read so far is still scanned.
  } finally {
    redis.disconnect();
  }
  recordArtifact('redis', name, lines.join('\n'));
}

async function readAny(redis: Redis, key: string): Promise<unknown> {
  switch (await redis.type(key)) {
    case 'string':
      return redis.get(key);
    case 'hash':
      return redis.hgetall(key);
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'set':
      return redis.smembers(key);
    case 'zset':
      return redis.zrange(key, '0', '-1', 'WITHSCORES');
    default:
      return null;
  }
}

/** A broker's /metrics as scraped just before it stops. */
export async function recordMetrics(baseUrl: string, name: string): Promise<void> {
  if (!leakDir()) return;
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
    recordArtifact('metrics', name, await response.text());
  } catch {
    // Not answering (stopped, paused): nothing to scan.
  }
}
