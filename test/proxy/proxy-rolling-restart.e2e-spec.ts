import { recordServedToken } from '../support/leak-ledger';
import type { LocalCluster } from '../support/local-cluster';
import { restartReplica, startRollingCluster } from '../support/rolling-restart';
import { sleep } from '../support/wait';
import { ECHO_PATH, Echo, valuesOf } from './proxy-calls';

const TTL_SECONDS = 10;

interface Call {
  readonly status: number;
  readonly error?: string;
}

/** Proxied calls through HAProxy while each of 3 replicas in turn is stopped and started again. */
describe('proxy: rolling restart of 3 replicas behind HAProxy', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await startRollingCluster(TTL_SECONDS);
  }, 150_000);
  afterAll(() => cluster?.stop(), 30_000);

  const call = async (n: number): Promise<Call> => {
    try {
      // Slow answers too (300 ms): some are in flight on a replica as it drains.
      const path = n % 4 === 0 ? '/proof/_emulator/fidelity/trickle?chunks=3&interval_ms=150' : `${ECHO_PATH}/roll`;
      const response = await fetch(`${cluster.url}${path}`, {
        method: n % 2 === 1 ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${cluster.callerKey}` },
        body: n % 2 === 1 ? `n=${n}` : undefined,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      if (response.status !== 200) return { status: response.status, error: text };
      if (path.startsWith(ECHO_PATH))
        recordServedToken(valuesOf((JSON.parse(text) as Echo).headers, 'authorization')[0]?.slice('Bearer '.length));
      else if (text !== 'chunk 0\nchunk 1\nchunk 2\n') return { status: 200, error: `cut answer: ${text}` };
      return { status: 200 };
    } catch (error) {
      return { status: 0, error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  };

  it('answers every proxied call while each replica is replaced', async () => {
    const calls: Call[] = [];
    let running = true;
    let n = 0;
    const loop = async () => {
      while (running) calls.push(await call(n++));
    };
    const loops = Promise.all(Array.from({ length: 4 }, loop));
    const exits: (number | null)[] = [];
    /** Calls answered while each replica was out: the load ran through every restart. */
    const duringRestart: number[] = [];
    try {
      for (const { name } of cluster.replicas) {
        await cluster.waitAllInRotation();
        const before = calls.length;
        exits.push((await restartReplica(cluster, name)).exitCode);
        duringRestart.push(calls.length - before);
      }
      await cluster.waitAllInRotation();
      await sleep(500);
    } finally {
      running = false;
      await loops;
    }
    expect(exits).toEqual([0, 0, 0]);
    expect(duringRestart.filter((n) => n === 0)).toEqual([]);
    expect(calls.filter((c) => c.status !== 200 || c.error !== undefined)).toEqual([]);
  }, 150_000);
});
