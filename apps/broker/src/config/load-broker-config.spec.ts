import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError } from './config.errors';
import { loadBrokerConfig } from './load-broker-config';
import { testSecret } from '../../../../test/support/leak-ledger';

const SECRET = testSecret();

const dir = mkdtempSync(join(tmpdir(), 'broker-config-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const HASH = 'a'.repeat(64);
const callers = file('callers.json', [
  { name: 'svc', keySha256: [HASH], roles: ['token:read'], profiles: ['default'] },
]);
const KEY = Buffer.alloc(32, 7).toString('base64');
const WITH_KEY = { BROKER_ENCRYPTION_KEYS: `k1:${KEY}` };
const minimal = { PROOF_CLIENT_ID: 'app', PROOF_CLIENT_SECRET: SECRET, BROKER_CALLERS_FILE: callers };

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadBrokerConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loadBrokerConfig', () => {
  it('applies the schema defaults to a minimal environment', () => {
    const config = loadBrokerConfig(minimal);
    expect(config.port).toBe(3000);
    expect(config.redis).toBeUndefined();
    expect(config.profiles).toEqual([
      {
        name: 'default',
        baseUrl: 'https://api.fairfax.proof.com',
        clientId: 'app',
        clientSecrets: [SECRET],
        scope: undefined,
        tokenPolicy: 'new',
      },
    ]);
    expect(config.refresh).toMatchObject({
      refreshAtFraction: 0.667,
      minTtlMs: 30_000,
      lockTtlMs: 30_000,
      lockLeaseMs: 3_000,
      upstreamTimeoutMs: 10_000,
      presenceMarginMs: 1_000,
      leaseCheckIntervalMs: 3_000,
    });
    expect(config.callers).toEqual([{ name: 'svc', keySha256: [HASH], roles: ['token:read'], profiles: ['default'] }]);
  });

  it('requires well-formed encryption keys with Redis, and parses them', () => {
    expect(problemsOf({ ...minimal, REDIS_URL: 'redis://r:6379' })).toEqual([
      expect.stringContaining('BROKER_ENCRYPTION_KEYS'),
    ]);
    const bad = problemsOf({
      ...minimal,
      REDIS_URL: 'redis://r',
      BROKER_ENCRYPTION_KEYS: `k1:${KEY},k1:${KEY},k2:short,secret-looking-garbage`,
    });
    expect(bad).toEqual([
      'BROKER_ENCRYPTION_KEYS entry 2: duplicate key id',
      'BROKER_ENCRYPTION_KEYS entry 3: expected <key id>:<base64 of 32 bytes>',
      'BROKER_ENCRYPTION_KEYS entry 4: expected <key id>:<base64 of 32 bytes>',
    ]);
    expect(bad.join()).not.toContain('secret-looking-garbage');
    const keys = loadBrokerConfig({ ...minimal, ...WITH_KEY, REDIS_URL: 'redis://r' }).encryptionKeys;
    expect(keys.map((k) => [k.id, k.key.length])).toEqual([['k1', 32]]);
  });

  it('reads one Redis topology: URL, Sentinel or Cluster, and refuses several', () => {
    expect(loadBrokerConfig({ ...minimal, ...WITH_KEY, REDIS_URL: 'redis://r:6379' }).redis).toEqual({
      kind: 'single',
      url: 'redis://r:6379',
    });
    expect(
      loadBrokerConfig({ ...minimal, ...WITH_KEY, REDIS_SENTINELS: 's1:26379,s2:26380', REDIS_SENTINEL_NAME: 'main' })
        .redis,
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'main',
      password: undefined,
    });
    expect(loadBrokerConfig({ ...minimal, ...WITH_KEY, REDIS_CLUSTER_NODES: 'n1:7000' }).redis).toMatchObject({
      kind: 'cluster',
      nodes: [{ host: 'n1', port: 7000 }],
    });
    const problems = problemsOf({
      ...minimal,
      REDIS_URL: 'redis://r',
      REDIS_CLUSTER_NODES: 'n1:7000',
      REDIS_SENTINELS: 's:1',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'set one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES, not several',
        'REDIS_SENTINEL_NAME is required with REDIS_SENTINELS',
      ]),
    );
  });

  it('maps PROOF_ENVIRONMENT to its host, and PROOF_BASE_URL overrides it', () => {
    expect(loadBrokerConfig({ ...minimal, PROOF_ENVIRONMENT: 'production' }).profiles[0].baseUrl).toBe(
      'https://api.proof.com',
    );
    expect(loadBrokerConfig({ ...minimal, PROOF_BASE_URL: 'http://127.0.0.1:4010' }).profiles[0].baseUrl).toBe(
      'http://127.0.0.1:4010',
    );
  });

  it('reads the secret from PROOF_CLIENT_SECRET_FILE, trimmed', () => {
    const secretFile = file('secret', 'from-file\n');
    const config = loadBrokerConfig({
      ...minimal,
      PROOF_CLIENT_SECRET: undefined,
      PROOF_CLIENT_SECRET_FILE: secretFile,
    });
    expect(config.profiles[0].clientSecrets).toEqual(['from-file']);
  });

  it('reads several client secrets in order: comma-separated inline, one per line in a file', () => {
    expect(loadBrokerConfig({ ...minimal, PROOF_CLIENT_SECRET: 'new-one, old-one' }).profiles[0].clientSecrets).toEqual(
      ['new-one', 'old-one'],
    );
    const secretFile = file('secrets', 'first\n\nsecond\n');
    const config = loadBrokerConfig({
      ...minimal,
      PROOF_CLIENT_SECRET: undefined,
      PROOF_CLIENT_SECRET_FILE: secretFile,
    });
    expect(config.profiles[0].clientSecrets).toEqual(['first', 'second']);
  });

  it('loads several profiles from BROKER_PROFILES_FILE', () => {
    const profiles = file('profiles.json', {
      profiles: [
        { name: 'prod', environment: 'production', clientId: 'p', clientSecret: 's1', tokenPolicy: 'revoke-previous' },
        { name: 'sandbox', clientId: 'f', clientSecret: 's2', scope: 'read' },
      ],
    });
    const all = file('callers-all.json', [{ name: 'x', keySha256: [HASH], roles: ['token:info'], profiles: ['*'] }]);
    const config = loadBrokerConfig({ BROKER_PROFILES_FILE: profiles, BROKER_CALLERS_FILE: all });
    expect(config.profiles.map((p) => [p.name, p.baseUrl, p.tokenPolicy])).toEqual([
      ['prod', 'https://api.proof.com', 'revoke-previous'],
      ['sandbox', 'https://api.fairfax.proof.com', 'new'],
    ]);
  });

  it('names every file it read, for the reloader to watch', () => {
    const secretFile = file('prod-secret', 'p-secret');
    const profiles = file('profiles-with-file.json', [
      { name: 'prod', clientId: 'p', clientSecretFile: secretFile },
      { name: 'sandbox', clientId: 'f', clientSecret: 's2' },
    ]);
    const all = file('callers-all.json', [{ name: 'x', keySha256: [HASH], roles: ['token:info'], profiles: ['*'] }]);
    expect(loadBrokerConfig({ BROKER_PROFILES_FILE: profiles, BROKER_CALLERS_FILE: all }).sourceFiles).toEqual([
      all,
      profiles,
      secretFile,
    ]);
  });

  it('reads BROKER_ACCESS_LOG: aggregate by default, all, failures, and nothing else', () => {
    expect(loadBrokerConfig(minimal).accessLog).toBe('aggregate');
    expect(loadBrokerConfig({ ...minimal, BROKER_ACCESS_LOG: 'all' }).accessLog).toBe('all');
    expect(loadBrokerConfig({ ...minimal, BROKER_ACCESS_LOG: 'failures' }).accessLog).toBe('failures');
    expect(problemsOf({ ...minimal, BROKER_ACCESS_LOG: 'none' })).toEqual([
      expect.stringContaining('BROKER_ACCESS_LOG'),
    ]);
  });

  it('reads BROKER_AUDIT_INTERVAL_MS: 1000 by default, 100 to 60000, listed with the other problems', () => {
    expect(loadBrokerConfig(minimal).auditIntervalMs).toBe(1000);
    expect(loadBrokerConfig({ ...minimal, BROKER_AUDIT_INTERVAL_MS: '250' }).auditIntervalMs).toBe(250);
    expect(problemsOf({ ...minimal, BROKER_AUDIT_INTERVAL_MS: '50', BROKER_ACCESS_LOG: 'none' })).toEqual([
      expect.stringContaining('BROKER_ACCESS_LOG'),
      expect.stringContaining('BROKER_AUDIT_INTERVAL_MS'),
    ]);
    const notANumber = problemsOf({ ...minimal, BROKER_AUDIT_INTERVAL_MS: 'soon' });
    expect(notANumber.length).toBeGreaterThan(0);
    expect(notANumber.filter((problem) => !problem.startsWith('BROKER_AUDIT_INTERVAL_MS'))).toEqual([]);
  });

  it('reads trusted proxies for X-Forwarded-For, and refuses what is not an address, CIDR or range name', () => {
    expect(loadBrokerConfig({ ...minimal }).trustedProxies).toEqual([]);
    const config = loadBrokerConfig({ ...minimal, BROKER_TRUSTED_PROXIES: 'loopback,10.0.0.0/8,fd00::1' });
    expect(config.trustedProxies).toEqual(['loopback', '10.0.0.0/8', 'fd00::1']);
    expect(problemsOf({ ...minimal, BROKER_TRUSTED_PROXIES: 'haproxy.internal' })).toEqual([
      expect.stringContaining('BROKER_TRUSTED_PROXIES'),
    ]);
  });

  it('lists every problem at once, naming variables and never echoing values', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      REDIS_URL: 'http://nope',
      PROOF_ENVIRONMENT: 'staging',
      PROOF_CLIENT_SECRET: SECRET,
      BROKER_REFRESH_AT_FRACTION: '2',
      BROKER_LOCK_TTL_MS: '1000',
    });
    const text = problems.join('\n');
    for (const name of [
      'PORT',
      'REDIS_URL',
      'PROOF_ENVIRONMENT',
      'PROOF_CLIENT_ID',
      'BROKER_CALLERS_FILE',
      'BROKER_REFRESH_AT_FRACTION',
      'BROKER_LOCK_TTL_MS',
    ]) {
      expect(text).toContain(name);
    }
    expect(problems.length).toBeGreaterThanOrEqual(7);
    expect(text).not.toContain(SECRET);
  });

  it('takes a lock lease no longer than the lock TTL', () => {
    const config = loadBrokerConfig({ ...minimal, BROKER_LOCK_LEASE_MS: '1500', BROKER_LOCK_TTL_MS: '20000' });
    expect(config.refresh).toMatchObject({ lockLeaseMs: 1_500, lockTtlMs: 20_000 });
    expect(problemsOf({ ...minimal, BROKER_LOCK_LEASE_MS: '25000', BROKER_LOCK_TTL_MS: '20000' })).toEqual([
      'BROKER_LOCK_LEASE_MS must be at most BROKER_LOCK_TTL_MS',
    ]);
    expect(problemsOf({ ...minimal, BROKER_LOCK_LEASE_MS: '100' })).toEqual([
      expect.stringContaining('BROKER_LOCK_LEASE_MS'),
    ]);
  });

  it('rejects bad caller entries and profile references, one line each', () => {
    const bad = file('bad-callers.json', [
      { name: 'a', keySha256: ['NOT-HEX'], roles: ['token:read'], profiles: ['default'] },
      { name: 'b', keySha256: [HASH], roles: ['superuser'], profiles: ['default'] },
      { name: 'c', keySha256: [HASH.replace('a', 'b')], roles: ['token:read'], profiles: ['ghost'] },
    ]);
    const problems = problemsOf({ ...minimal, BROKER_CALLERS_FILE: bad });
    expect(problems).toEqual([
      expect.stringContaining('callers[0]: keySha256'),
      expect.stringContaining('callers[1]: roles'),
      expect.stringContaining('callers[2]: unknown profile "ghost"'),
    ]);
  });

  it('reports unreadable and malformed files, and conflicting settings', () => {
    const problems = problemsOf({
      ...minimal,
      BROKER_PROFILES_FILE: join(dir, 'missing.json'),
      BROKER_CALLERS_FILE: file('broken.json', '{'),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('not both'),
        expect.stringContaining('cannot read'),
        expect.stringContaining('not valid JSON'),
      ]),
    );
  });

  it('rejects a presence margin that would let a replica renewing on time lose its lease, and a check interval out of range', () => {
    // Reconcile 5 s: present for 15 s after a heartbeat, the next one 5 s later.
    const margin = (ms: number) => ({
      ...minimal,
      BROKER_RECONCILE_INTERVAL_MS: '5000',
      BROKER_PRESENCE_MARGIN_MS: String(ms),
    });
    expect(loadBrokerConfig(margin(9_999)).refresh.presenceMarginMs).toBe(9_999);
    expect(problemsOf(margin(10_000))).toEqual([expect.stringContaining('BROKER_PRESENCE_MARGIN_MS must be below')]);
    expect(problemsOf({ ...minimal, BROKER_LEASE_CHECK_INTERVAL_MS: '100' })).toEqual([
      expect.stringContaining('BROKER_LEASE_CHECK_INTERVAL_MS'),
    ]);
  });
});
