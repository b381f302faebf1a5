import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCallerKey } from '../../apps/broker/src/auth/caller-key';
import type { CallerConfig } from '../../apps/broker/src/config/broker-config';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { recordSecret, testSecret } from '../support/leak-ledger';
import { emulatorAdmin } from '../support/emulator-admin';
import type { Served } from '../support/load';
import { startRedis, TestRedis } from '../support/redis-server';
import { sleep, waitUntil } from '../support/wait';
import { startSteadyLoad } from './steady-load';

const TTL_SECONDS = 30;
const APP = 'reload-app';
// Long and random (in the leak scan's ledger): written to files after boot, never logged.
const OLD_SECRET = testSecret();
const NEW_SECRET = testSecret();
const THIRD_SECRET = testSecret();
const LEAKED_IN_FILE = testSecret();

/** Replaces a file the way editors and secret stores do: a new file renamed over the old one. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

/**
 * Reloading callers and client secrets in a running broker process (real Redis, real
 * emulator), under steady GET /token load from a caller whose key stays valid throughout.
 * Each test starts from the same place (its own Redis, emulator, files and broker: callers
 * [a], client secret OLD_SECRET), so any one of them runs alone.
 */
describe('config reload (SIGHUP and file changes) under load', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: BrokerProcess;
  let dir: string;
  const keys = {
    a1: generateCallerKey('a'),
    a2: generateCallerKey('a'),
    b: generateCallerKey('b', ['token:read']),
    c: generateCallerKey('c', ['token:read']),
  };
  // Written to files after boot: the whole-run leak scan must look for them too.
  for (const { key } of Object.values(keys)) recordSecret('caller-key', key);
  const callerA: CallerConfig = {
    name: 'a',
    keySha256: [keys.a1.entry.keySha256[0], keys.a2.entry.keySha256[0]],
    roles: ['token:read', 'token:info'],
    profiles: ['*'],
  };
  const file = (name: string) => join(dir, name);
  const get = (path: string, key: string) =>
    fetch(`${broker.url}${path}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(10_000) });

  async function metric(pattern: RegExp): Promise<number> {
    const text = await (await fetch(`${broker.url}/metrics`)).text();
    return Number(pattern.exec(text)?.[1] ?? NaN);
  }
  const reloads = (outcome: 'applied' | 'rejected' | 'unchanged') =>
    metric(new RegExp(`^broker_config_reloads_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm'));

  /**
   * Runs `change` under load and waits for the reload `outcome`; returns the responses, the
   * reload latency, and whether the load was served on both sides of the swap.
   */
  async function underLoad(
    outcome: 'applied' | 'rejected',
    change: () => void | Promise<void>,
    after: () => Promise<void> = () => Promise.resolve(),
  ): Promise<{ served: Served[]; latencyMs: number; acrossTheSwap: boolean }> {
    const before = await reloads(outcome);
    const load = startSteadyLoad(broker.url, keys.a1.key, 4);
    let served: Served[] = [];
    let started = NaN;
    let latencyMs = NaN;
    try {
      // Load runs a while before and after the reload: the swap happens mid-stream.
      await sleep(1_000);
      started = Date.now();
      await change();
      await waitUntil(`a reload ${outcome}`, async () => (await reloads(outcome)) > before, 10_000, 20);
      latencyMs = Date.now() - started;
      await after();
      await sleep(1_000);
    } finally {
      served = await load.stop();
    }
    const acrossTheSwap = served.some((s) => s.at < started) && served.some((s) => s.at > started + latencyMs);
    return { served, latencyMs, acrossTheSwap };
  }

  beforeEach(async () => {
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: TTL_SECONDS, clients: `${APP}:${OLD_SECRET}` });
    dir = mkdtempSync(join(tmpdir(), 'broker-reload-'));
    replaceFile(file('secret'), `${OLD_SECRET}\n`);
    replaceFile(
      file('profiles.json'),
      JSON.stringify([{ name: 'default', baseUrl: emulator.url, clientId: APP, clientSecretFile: file('secret') }]),
    );
    replaceFile(file('callers.json'), JSON.stringify([callerA]));
    broker = await startBrokerProcess('reload-1', {
      ...FAST_TIMINGS,
      REDIS_URL: redis.url,
      BROKER_PROFILES_FILE: file('profiles.json'),
      BROKER_CALLERS_FILE: file('callers.json'),
    });
    await waitUntil('a first token', async () => (await get('/token', keys.a1.key)).status === 200);
  }, 60_000);
  afterEach(async () => {
    await broker?.process.stop();
    await emulator?.close();
    await redis?.stop();
  }, 30_000);

  it('starts with every reload counter at 0', async () => {
    expect([await reloads('applied'), await reloads('rejected'), await reloads('unchanged')]).toEqual([0, 0, 0]);
  });

  it('(a) SIGHUP after a callers change: the new key works, the removed one gets 401, no request fails', async () => {
    const { served, latencyMs, acrossTheSwap } = await underLoad('applied', () => {
      replaceFile(
        file('callers.json'),
        JSON.stringify([{ ...callerA, keySha256: [keys.a1.entry.keySha256[0]] }, keys.b.entry]),
      );
      broker.process.child.kill('SIGHUP');
    });
    expect((await get('/token', keys.b.key)).status).toBe(200);
    expect((await get('/token', keys.a2.key)).status).toBe(401);
    expect(acrossTheSwap).toBe(true);
    expect(served.filter((s) => s.status !== 200)).toEqual([]);
    expect(latencyMs).toBeLessThan(2_000);
    expect(broker.process.output()).toMatch(
      /configuration reload \(SIGHUP\) applied: callers \(2 callers, 2 keys; \+b\)/,
    );
  }, 60_000);

  it('(b) rotates the client secret: [new, old], SIGHUP, old revoked, the next refresh uses the new one', async () => {
    const admin = emulatorAdmin(emulator.url);
    const upstream4xx =
      /^broker_upstream_request_duration_seconds_count\{profile="default",status_class="4xx"\} (\d+)$/m;
    const rejectedBefore = (await metric(upstream4xx)) || 0;
    let forced: { access_token: string } | undefined;
    let revokedAt = 0;
    const { served } = await underLoad(
      'applied',
      async () => {
        await admin.setSecrets(APP, [OLD_SECRET, NEW_SECRET]);
        replaceFile(file('secret'), `${NEW_SECRET}\n${OLD_SECRET}\n`);
        broker.process.child.kill('SIGHUP');
      },
      async () => {
        await admin.setSecrets(APP, [NEW_SECRET]);
        revokedAt = Date.now();
        // min_ttl just under the lifetime forces a refresh once the token is a tenth of its life old.
        const info = async () => (await (await get('/token/info', keys.a1.key)).json()) as { expires_in: number };
        await waitUntil(
          'the token to be old enough to force a refresh',
          async () => (await info()).expires_in <= TTL_SECONDS - 5,
        );
        const response = await get(`/token?min_ttl=${TTL_SECONDS - 1}`, keys.a1.key);
        expect(response.status).toBe(200);
        forced = (await response.json()) as { access_token: string };
      },
    );
    const info = (await (await get('/token/info', keys.a1.key)).json()) as { client_secret_position: number };
    expect(info.client_secret_position).toBe(1);
    const [lookup] = await admin.lookup([forced!.access_token]);
    expect(lookup).toMatchObject({ known: true, clientId: APP, revokedAtMs: null });
    expect(lookup.issuedAtMs).toBeGreaterThanOrEqual(revokedAt);
    // The reloaded order was followed: no attempt with the revoked secret.
    expect((await metric(upstream4xx)) || 0).toBe(rejectedBefore);
    expect(served.filter((s) => s.status !== 200)).toEqual([]);
  }, 60_000);

  it('(c) reloads on a file change alone, within a few seconds', async () => {
    expect((await get('/token', keys.c.key)).status).toBe(401);
    const { served, latencyMs, acrossTheSwap } = await underLoad('applied', () =>
      replaceFile(file('callers.json'), JSON.stringify([callerA, keys.c.entry])),
    );
    expect((await get('/token', keys.c.key)).status).toBe(200);
    expect(latencyMs).toBeLessThan(5_000);
    expect(acrossTheSwap).toBe(true);
    expect(served.filter((s) => s.status !== 200)).toEqual([]);
    expect(broker.process.output()).toMatch(
      /configuration reload \(file change\) applied: callers \(2 callers, 3 keys; \+c\)/,
    );
  }, 60_000);

  it('(d) rejects an invalid file, keeps the old config and never logs the values', async () => {
    const leaked = LEAKED_IN_FILE;
    const { served } = await underLoad('rejected', () => {
      // Callers first: whenever the watcher looks, the configuration it sees is invalid.
      replaceFile(
        file('callers.json'),
        JSON.stringify([{ ...callerA, keySha256: [leaked] }, { name: 'x' }, keys.c.entry]),
      );
      replaceFile(file('secret'), `${THIRD_SECRET}\n`);
      broker.process.child.kill('SIGHUP');
    });
    expect(served.filter((s) => s.status !== 200)).toEqual([]);
    // The previous callers stand: both of a's keys, and not the c of the rejected file.
    expect((await get('/token', keys.a2.key)).status).toBe(200);
    expect((await get('/token', keys.c.key)).status).toBe(401);
    expect((await reloads('applied')) + (await reloads('unchanged'))).toBe(0);
    const output = broker.process.output();
    expect(output).toMatch(
      /configuration reload \(SIGHUP\) rejected, invalid configuration; still running on the previous/,
    );
    expect(output).toMatch(/callers\[0\]: keySha256/);
    expect(output).toMatch(/callers\[1\]: roles/);
    for (const value of [leaked, THIRD_SECRET, OLD_SECRET, NEW_SECRET]) expect(output).not.toContain(value);
  }, 60_000);

  it('(e) a reload with new client secrets lifts the hold that invalid_client put on refreshes', async () => {
    const admin = emulatorAdmin(emulator.url);
    interface Info {
      expires_in: number;
      last_refresh: { outcome: string; error: string | null } | null;
      next_attempt_not_before: string | null;
    }
    const info = async () => (await (await get('/token/info', keys.a1.key)).json()) as Info;
    const force = () => get(`/token?min_ttl=${TTL_SECONDS - 1}`, keys.a1.key);
    // Proof no longer takes that secret: the next refresh gets invalid_client and a 5-minute hold.
    await admin.setSecrets(APP, [THIRD_SECRET]);
    await waitUntil(
      'the token to be old enough to force a refresh',
      async () => (await info()).expires_in <= TTL_SECONDS - 5,
    );
    expect((await force()).status).toBe(503);
    const held = await info();
    expect(held.last_refresh).toMatchObject({ outcome: 'permanent_failure', error: 'invalid_client' });
    expect(Date.parse(held.next_attempt_not_before ?? '')).toBeGreaterThan(Date.now() + 60_000);

    const applied = await reloads('applied');
    const fixedAt = Date.now();
    replaceFile(file('secret'), `${THIRD_SECRET}\n`);
    await waitUntil('the new secret applied', async () => (await reloads('applied')) > applied, 10_000, 20);
    let token: { access_token?: string } = {};
    await waitUntil(
      'a refreshed token',
      async () => {
        const response = await force();
        token = (await response.json()) as { access_token?: string };
        return response.status === 200;
      },
      10_000,
    );
    const [lookup] = await admin.lookup([token.access_token as string]);
    expect(lookup.issuedAtMs).toBeGreaterThanOrEqual(fixedAt);
    expect((await info()).last_refresh).toMatchObject({ outcome: 'refreshed', error: null });
    expect(broker.process.output()).toMatch(/client secrets reloaded, the hold after invalid_client is lifted/);
  }, 60_000);
});
