import { Logger } from '@nestjs/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallerAuthenticator } from '../auth/caller-authenticator.service';
import { generateCallerKey } from '../auth/caller-key';
import { UnauthenticatedError } from '../http/broker.errors';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { ProofTokenClient, UpstreamToken } from '../token/upstream/proof-token.client';
import { TokenFetcher } from '../token/upstream/token-fetcher.service';
import { UpstreamTokenError } from '../token/upstream/upstream-token.error';
import type { BrokerConfig, CallerConfig } from '../config/broker-config';
import { ConfigReloader, SETTLE_MS } from './config-reloader.service';
import { LiveConfig } from '../config/live-config.service';
import { loadBrokerConfig } from '../config/load-broker-config';
import { testSecret } from '../../../../test/support/leak-ledger';

const OLD_SECRET = testSecret();
const NEW_SECRET = testSecret();

/** A temp dir with a callers file and a secret file, loaded by the real boot loader. */
function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'broker-reload-'));
  const path = (name: string) => join(dir, name);
  const a1 = generateCallerKey('a');
  const a2 = generateCallerKey('a');
  const b = generateCallerKey('b');
  const callerA: CallerConfig = { ...a1.entry, keySha256: [...a1.entry.keySha256, ...a2.entry.keySha256] };
  const writeCallers = (callers: unknown) => writeFileSync(path('callers.json'), JSON.stringify(callers));
  const writeSecrets = (text: string) => writeFileSync(path('secret'), text);
  writeCallers([callerA]);
  writeSecrets(`${OLD_SECRET}\n`);
  const env: NodeJS.ProcessEnv = {
    PROOF_CLIENT_ID: 'app',
    PROOF_BASE_URL: 'http://127.0.0.1:9',
    PROOF_CLIENT_SECRET_FILE: path('secret'),
    BROKER_CALLERS_FILE: path('callers.json'),
    BROKER_REPLICA_ID: 'unit',
  };
  return {
    dir,
    path,
    env,
    keys: { a1: a1.key, a2: a2.key, b: b.key },
    callerA,
    b: b.entry,
    writeCallers,
    writeSecrets,
  };
}

/** Stands in for fs polling: the test says when a file "changed". */
class FakeWatcher {
  paths: readonly string[] = [];
  stopped = 0;
  private onChange?: () => void;
  watch(paths: readonly string[], onChange: () => void): () => void {
    this.paths = paths;
    this.onChange = onChange;
    return () => void this.stopped++;
  }
  fire(): void {
    this.onChange?.();
  }
}

function setup() {
  const f = fixture();
  const source = jest.fn(() => loadBrokerConfig(f.env));
  const boot = loadBrokerConfig(f.env);
  const live = new LiveConfig(boot);
  const metrics = new BrokerMetrics(boot);
  const watcher = new FakeWatcher();
  const reloader = new ConfigReloader(source, live, watcher, metrics);
  const auth = new CallerAuthenticator(live);
  const count = async (outcome: string) =>
    (await metrics.configReloads.get()).values.find((v) => v.labels.outcome === outcome)?.value;
  return { ...f, boot, source, live, metrics, watcher, reloader, auth, count };
}

const bearer = (key: string) => `Bearer ${key}`;

describe('ConfigReloader', () => {
  let errors: jest.SpyInstance;
  let logs: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('applies a new callers file: the added key works, the removed key gets 401, the kept key goes on', async () => {
    const s = setup();
    expect(s.auth.authenticate(bearer(s.keys.a2)).name).toBe('a');
    s.writeCallers([{ ...s.callerA, keySha256: s.callerA.keySha256.slice(0, 1) }, s.b]);

    expect(s.reloader.reload('SIGHUP')).toBe('applied');
    expect(s.auth.authenticate(bearer(s.keys.a1)).name).toBe('a');
    expect(s.auth.authenticate(bearer(s.keys.b)).name).toBe('b');
    expect(() => s.auth.authenticate(bearer(s.keys.a2))).toThrow(UnauthenticatedError);
    expect(await s.count('applied')).toBe(1);
    expect(logs).toHaveBeenCalledWith(
      expect.stringMatching(/reload \(SIGHUP\) applied: callers \(2 callers, 2 keys; \+b\)/),
    );
  });

  it('answers unchanged when the files say the same thing again', async () => {
    const s = setup();
    s.writeCallers([s.callerA]);
    expect(s.reloader.reload('SIGHUP')).toBe('unchanged');
    expect(s.live.current).toBe(s.boot);
    expect(await s.count('unchanged')).toBe(1);
  });

  it('keeps the running config on an invalid file, listing every problem without the values', async () => {
    const s = setup();
    s.writeCallers([
      { ...s.callerA, keySha256: [NEW_SECRET] },
      { name: 'c', roles: ['nope'] },
    ]);
    s.writeSecrets('\n');

    expect(s.reloader.reload('file change')).toBe('rejected');
    expect(s.live.current).toBe(s.boot);
    expect(s.auth.authenticate(bearer(s.keys.a2)).name).toBe('a');
    expect(await s.count('rejected')).toBe(1);
    const logged = errors.mock.calls.map((call) => String(call[0])).join('\n');
    expect(logged).toMatch(/reload \(file change\) rejected, invalid configuration; still running on the previous/);
    expect(logged).toMatch(/callers\[0\].*keySha256/);
    expect(logged).toMatch(/callers\[1\].*roles/);
    expect(logged).toMatch(/PROOF_CLIENT_SECRET: at least one client secret is required/);
    expect(logged).not.toContain(NEW_SECRET);
    expect(logged).not.toContain(OLD_SECRET);
  });

  it.each([
    ['a changed client id', { PROOF_CLIENT_ID: 'other-app' }, /profile default: clientId changed/],
    ['a changed base URL', { PROOF_BASE_URL: 'http://127.0.0.1:10' }, /profile default: baseUrl changed/],
  ])('refuses %s (needs a restart) and keeps everything else as it was', async (_case, change, message) => {
    const s = setup();
    Object.assign(s.env, change);
    s.writeSecrets(NEW_SECRET);
    expect(s.reloader.reload('SIGHUP')).toBe('rejected');
    expect(s.live.clientSecretsOf(s.boot.profiles[0])).toEqual([OLD_SECRET]);
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/rejected, these changes need a restart/));
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(message));
    expect(await s.count('rejected')).toBe(1);
  });

  it('re-reads on SIGHUP until shut down, and stops its watcher then', () => {
    const s = setup();
    const listeners = process.listenerCount('SIGHUP');
    s.reloader.onApplicationBootstrap();
    expect(s.watcher.paths).toEqual([s.path('callers.json'), s.path('secret')]);
    try {
      process.emit('SIGHUP', 'SIGHUP');
      expect(s.source).toHaveBeenCalledTimes(1);
    } finally {
      s.reloader.onApplicationShutdown();
    }
    expect(s.watcher.stopped).toBe(1);
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });

  describe('file changes', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('reloads once per burst of changes, after they settle', () => {
      const s = setup();
      s.reloader.onApplicationBootstrap();
      try {
        s.writeSecrets(`${NEW_SECRET}\n${OLD_SECRET}\n`);
        s.watcher.fire();
        jest.advanceTimersByTime(SETTLE_MS - 100);
        s.watcher.fire();
        jest.advanceTimersByTime(SETTLE_MS - 100);
        expect(s.source).not.toHaveBeenCalled();
        jest.advanceTimersByTime(100);
        expect(s.source).toHaveBeenCalledTimes(1);
        expect(s.live.clientSecretsOf(s.boot.profiles[0])).toEqual([NEW_SECRET, OLD_SECRET]);
      } finally {
        s.reloader.onApplicationShutdown();
      }
    });

    it('drops a pending reload at shutdown', () => {
      const s = setup();
      s.reloader.onApplicationBootstrap();
      s.watcher.fire();
      s.reloader.onApplicationShutdown();
      jest.advanceTimersByTime(SETTLE_MS * 2);
      expect(s.source).not.toHaveBeenCalled();
    });
  });
});

describe('TokenFetcher after a reload', () => {
  const token: UpstreamToken = {
    accessToken: 't',
    tokenType: 'Bearer',
    scope: '',
    expiresInSeconds: 60,
    createdAt: 0,
    receivedAt: 0,
  };

  function fetcherFor(config: BrokerConfig, live: LiveConfig, valid: Set<string>) {
    const used: string[] = [];
    const client = {
      requestToken: jest.fn(async (_profile: unknown, secret: string) => {
        used.push(secret);
        await Promise.resolve();
        if (!valid.has(secret)) throw new UpstreamTokenError('permanent', 'invalid_client', 401);
        return token;
      }),
    };
    const fetcher = new TokenFetcher(config, client as unknown as ProofTokenClient, new BrokerMetrics(config), live);
    return { fetcher, used };
  }

  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('uses the reloaded secrets in their new order, and a fetch in flight keeps the ones it started with', async () => {
    const s = setup();
    const valid = new Set([OLD_SECRET]);
    const { fetcher, used } = fetcherFor(s.boot, s.live, valid);
    const profile = s.boot.profiles[0];
    expect((await fetcher.fetch(profile)).secretPosition).toBe(1);

    // A fetch that starts before the reload and fails with the old secret has no other to try.
    valid.clear();
    const inFlight = fetcher.fetch(profile);
    s.writeSecrets(`${NEW_SECRET}\n${OLD_SECRET}\n`);
    expect(s.reloader.reload('SIGHUP')).toBe('applied');
    await expect(inFlight).rejects.toThrow(UpstreamTokenError);

    valid.add(NEW_SECRET);
    expect((await fetcher.fetch(profile)).secretPosition).toBe(1);
    expect(used).toEqual([OLD_SECRET, OLD_SECRET, NEW_SECRET]);
  });
});
