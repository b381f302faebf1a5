import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, TEST_CLIENTS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { recordServedToken } from '../support/leak-ledger';
import { startRedis, TestRedis } from '../support/redis-server';
import { sleep } from '../support/wait';
import { ECHO_PATH, Echo, valuesOf } from './proxy-calls';

const TTL_SECONDS = 6;
const RUN_MS = 20_000;
const LOOPS = 6;

interface Call {
  readonly status: number;
  readonly token?: string;
  readonly error?: string;
}

/**
 * Three replicas under revoke-previous (each refresh revokes the token every replica served
 * until then) with 6-second tokens refreshed at half their life: callers going through the
 * proxy never see Proof's 401 nor a failure, across several refreshes and a forced one.
 */
describe('proxy under revoke-previous, 3 replicas on one Redis', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  const replicas: BrokerProcess[] = [];
  let keys: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startEmulator({
      admin: true,
      tokenTtlSeconds: TTL_SECONDS,
      tokenPolicy: 'revoke-previous',
      clients: TEST_CLIENTS,
    });
    const callers = writeCallersFile([
      { name: 'svc', roles: ['proof:call'], profiles: ['default'] },
      { name: 'ops', roles: ['admin'], profiles: ['default'] },
    ]);
    keys = callers.keys;
    const env = {
      ...brokerEnv({ emulator, callers, redis }),
      PROOF_TOKEN_POLICY: 'revoke-previous',
      BROKER_REFRESH_AT_FRACTION: '0.5',
      LOG_LEVEL: 'warn',
    };
    for (const name of ['p1', 'p2', 'p3']) replicas.push(await startBrokerProcess(name, env));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGTERM')));
    await emulator?.close();
    await redis?.stop();
  });

  const call = async (replica: BrokerProcess, n: number): Promise<Call> => {
    try {
      // Every other call has a small body: it is replayed after a 401 just as a GET is.
      const post = n % 2 === 1;
      const response = await fetch(`${replica.url}${ECHO_PATH}/load?n=${n}`, {
        method: post ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${keys.svc}`, ...(post ? { 'content-type': 'application/json' } : {}) },
        body: post ? JSON.stringify({ n }) : undefined,
        signal: AbortSignal.timeout(15_000),
      });
      if (response.status !== 200) return { status: response.status, error: await response.text() };
      const token = valuesOf(((await response.json()) as Echo).headers, 'authorization')[0]?.slice('Bearer '.length);
      recordServedToken(token);
      return { status: 200, token };
    } catch (error) {
      return { status: 0, error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  };

  const forceRefresh = async (): Promise<number> => {
    for (;;) {
      const response = await fetch(`${replicas[1].url}/token/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.ops}` },
      });
      await response.text();
      // 429 refresh_too_soon: the token is younger than a tenth of its life; try again shortly.
      if (response.status !== 429) return response.status;
      await sleep(200);
    }
  };

  it('answers every proxied call with 200 across refreshes and a forced refresh', async () => {
    const calls: Call[] = [];
    const until = Date.now() + RUN_MS;
    let n = 0;
    const loop = async (offset: number) => {
      for (let i = offset; Date.now() < until; i++) calls.push(await call(replicas[i % replicas.length], n++));
    };
    const forced = (async () => {
      await sleep(RUN_MS / 2);
      return forceRefresh();
    })();
    await Promise.all([...Array.from({ length: LOOPS }, (_, i) => loop(i)), forced]);

    expect(await forced).toBe(200);
    expect(calls.filter((c) => c.status !== 200)).toEqual([]);
    // Several windows went by: refreshes at half a 6 s life, and the forced one.
    expect(new Set(calls.map((c) => c.token)).size).toBeGreaterThanOrEqual(RUN_MS / ((TTL_SECONDS * 1000) / 2) - 1);
    const stats = (await (await fetch(`${emulator.url}/_emulator/fidelity/stats`)).json()) as { refused: number };
    // Whatever 401s Proof sent (old tokens in flight at a revocation) were absorbed by the retry.
    const retried = await Promise.all(
      replicas.map(async (r) => {
        const text = await (await fetch(`${r.url}/metrics`)).text();
        return Number(/broker_proxy_retries_total\{profile="default"\} (\d+)/.exec(text)?.[1] ?? 0);
      }),
    );
    expect(retried.reduce((a, b) => a + b, 0)).toBe(stats.refused);
  }, 120_000);
});
