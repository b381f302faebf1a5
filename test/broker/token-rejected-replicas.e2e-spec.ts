import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { emulatorAdmin, validAt } from '../support/emulator-admin';
import { startRedis, TestRedis } from '../support/redis-server';
import { waitUntil } from '../support/wait';
import { TEST_CLIENTS } from '../support/broker';

const STORM = 999;
/** Three processes on two cores: a storm takes seconds, the verdicts must outlive it. */
const STORM_TIMEOUT_MS = 120_000;

interface Report {
  readonly status: number;
  readonly verdict?: string;
  readonly fence?: number | null;
  readonly text: string;
}

/**
 * Three broker processes on one Redis: reports of one token spread over every replica
 * still make one token/info request per fence, and at most one refresh. Each test starts
 * its own Redis, emulator and replicas: a verdict one test leaves (it stands 90 s) never
 * meets the next.
 */
describe('POST /token/rejected, 3 replicas on one Redis', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let replicas: BrokerProcess[] = [];
  let key: string;

  const tokenFrom = async (replica: BrokerProcess) => {
    const response = await fetch(`${replica.url}/token`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const report = async (replica: BrokerProcess, token: string): Promise<Report> => {
    const response = await fetch(`${replica.url}/token/rejected`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: token }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    return { status: response.status, ...(JSON.parse(text) as { verdict?: string; fence?: number }), text };
  };
  const storm = (token: string) =>
    Promise.all(Array.from({ length: STORM }, (_, i) => report(replicas[i % replicas.length], token)));
  /** Every replica serves the same token (after a refresh, once pub/sub reached them all). */
  const sameTokenEverywhere = async () => {
    let tokens: string[] = [];
    await waitUntil('every replica to serve the same token', async () => {
      tokens = await Promise.all(replicas.map(tokenFrom));
      return new Set(tokens).size === 1;
    });
    return tokens[0];
  };

  beforeEach(async () => {
    replicas = [];
    redis = await startRedis();
    emulator = await startEmulator({ admin: true, tokenTtlSeconds: 300, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['default'] }]);
    key = callers.keys.svc;
    const env = {
      ...brokerEnv({ emulator, callers, redis }),
      BROKER_REJECTION_RECHECK_MS: '90000',
      // The emulator answers from the test's own (storm-busy) process: a generous deadline, so
      // the one token/info request is not cut short by a loaded machine.
      BROKER_UPSTREAM_TIMEOUT_MS: '10000',
      BROKER_LOCK_TTL_MS: '30000',
      LOG_LEVEL: 'log',
    };
    // One after the other: three Node boots at once on a busy 2-core machine can outlast the start timeout.
    for (const name of ['r1', 'r2', 'r3']) replicas.push(await startBrokerProcess(name, env));
    await sameTokenEverywhere();
  }, 90_000);
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGTERM')));
    await emulator?.close();
    await redis?.stop();
  });

  it(
    `revoked token, ${STORM} reports over 3 replicas: one token/info request, one refresh, every replica serves a valid new token`,
    async () => {
      const admin = emulatorAdmin(emulator.url);
      const token = await sameTokenEverywhere();
      await admin.revokeAll();
      const before = await admin.stats();
      const started = Date.now();
      const reports = await storm(token);
      const elapsed = Date.now() - started;
      const after = await admin.stats();
      const verdicts = reports.map((r) => r.verdict);
      console.log(
        `3 replicas, revoked storm: ${STORM} reports in ${elapsed} ms, token/info ${after.tokenInfoRequests - before.tokenInfoRequests}, token requests ${after.tokenRequests - before.tokenRequests}, refreshed ${verdicts.filter((v) => v === 'refreshed').length}, replaced ${verdicts.filter((v) => v === 'replaced').length}`,
      );

      expect(reports.filter((r) => r.status !== 200)).toEqual([]);
      expect(verdicts).toContain('refreshed');
      expect(verdicts.every((v) => v === 'refreshed' || v === 'replaced')).toBe(true);
      expect(after.tokenInfoRequests - before.tokenInfoRequests).toBe(1);
      expect(after.tokenRequests - before.tokenRequests).toBeLessThanOrEqual(1);
      expect(after.tokensIssued - before.tokensIssued).toBe(1);
      expect(new Set(reports.map((r) => r.fence)).size).toBe(1);

      const fresh = await sameTokenEverywhere();
      expect(fresh).not.toBe(token);
      const [lookup] = await admin.lookup([fresh]);
      expect(validAt(lookup, Date.now())).toBe(true);
      for (const r of reports) expect(r.text).not.toContain(token);
      for (const replica of replicas) {
        expect(replica.process.output()).not.toContain(token);
        expect(replica.process.output()).not.toContain(fresh);
      }
    },
    STORM_TIMEOUT_MS,
  );

  it(
    `live token, ${STORM} reports over 3 replicas: one token/info request, no refresh`,
    async () => {
      const admin = emulatorAdmin(emulator.url);
      const token = await sameTokenEverywhere();
      const before = await admin.stats();
      const started = Date.now();
      const reports = await storm(token);
      const elapsed = Date.now() - started;
      const after = await admin.stats();
      console.log(
        `3 replicas, live storm: ${STORM} reports in ${elapsed} ms, token/info ${after.tokenInfoRequests - before.tokenInfoRequests}, token requests ${after.tokenRequests - before.tokenRequests}`,
      );

      expect(reports.filter((r) => r.status !== 200)).toEqual([]);
      expect(new Set(reports.map((r) => r.verdict))).toEqual(new Set(['alive']));
      expect(after.tokenInfoRequests - before.tokenInfoRequests).toBe(1);
      expect(after.tokenRequests).toBe(before.tokenRequests);
      expect(await sameTokenEverywhere()).toBe(token);
    },
    STORM_TIMEOUT_MS,
  );
});
