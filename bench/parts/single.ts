// Parts 1, 2 and 5: one broker replica vs bare Fastify vs a naive Redis-per-request broker,
// plus the replica's time to ready and its RSS idle and after load.
import { copyTokenAnswer } from '../lib/copied-answer';
import { Compared, compare } from '../lib/load';
import { Proc, rssMb, sleep } from '../lib/processes';
import { BenchEmulator, BenchRedis, Callers, startBroker, startScript } from '../lib/services';
import type { BenchConfig } from './bench-config';

const NAIVE_KEY = 'bench:naive:token';

export interface SingleResult {
  /** The broker at LOG_LEVEL=warn: no audit at all for a 2xx. */
  readonly broker: Compared;
  /** The same broker at the shipped defaults (LOG_LEVEL=log, BROKER_ACCESS_LOG=aggregate): the headline. */
  readonly logged: Compared;
  readonly bare: Compared;
  /** A bare node:http server, same bytes and headers. */
  readonly node: Compared;
  readonly naive: Compared;
  readonly readyMs: number;
  readonly rssIdle: number;
  readonly rssLoaded: number;
  /** RSS of the replica at the defaults after load (the target's). */
  readonly rssLoadedDefaults: number;
}

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_at: string;
  scope: string;
  profile: string;
}

export async function runSingle(
  cfg: BenchConfig,
  { redis, emulator, callers }: { redis: BenchRedis; emulator: BenchEmulator; callers: Callers },
): Promise<SingleResult> {
  const headers = { authorization: `Bearer ${callers.key}` };
  const options = { redisUrl: redis.url, emulatorUrl: emulator.url, callersPath: callers.path };
  const broker = await startBroker('single', options);
  const started: Proc[] = [broker.proc];
  // `--cpu-prof` profiles this one: the targets are judged on it.
  const logged = await startBroker('logged', { ...options, logLevel: 'log', nodeArgs: cfg.brokerNodeArgs });
  started.push(logged.proc);
  try {
    await sleep(1_000);
    const rssIdle = rssMb(broker.proc.pid);
    // The comparison servers answer with the very token and body the broker serves.
    const { body, env } = await copyTokenAnswer(broker.url, headers);
    const token = JSON.parse(body) as TokenBody;
    const record = {
      accessToken: token.access_token,
      tokenType: token.token_type,
      expiresAt: Date.parse(token.expires_at),
      scope: token.scope,
      profile: token.profile,
    };
    await redis.client.hset(NAIVE_KEY, 'record', JSON.stringify(record));
    const bare = await startScript('bare-fastify', env, '/token');
    started.push(bare.proc);
    const node = await startScript('bare-node', env, '/token');
    started.push(node.proc);
    const naiveEnv = {
      REDIS_URL: redis.url,
      BENCH_KEY_SHA256: callers.keySha256,
      BENCH_REDIS_KEY: NAIVE_KEY,
      BENCH_HEADERS: env.BENCH_HEADERS,
    };
    const naive = await startScript('naive-broker', naiveEnv, '/token', headers);
    started.push(naive.proc);

    const results = await compare(
      // Neighbours are compared: the defaults with both bare servers, `warn` with Fastify and naive.
      [
        { name: 'node', url: `${node.url}/token`, headers, pids: [node.proc.pid] },
        { name: 'logged', url: `${logged.url}/token`, headers, pids: [logged.proc.pid] },
        { name: 'bare', url: `${bare.url}/token`, headers, pids: [bare.proc.pid] },
        { name: 'broker', url: `${broker.url}/token`, headers, pids: [broker.proc.pid] },
        // The naive broker's cost includes the Redis server's.
        { name: 'naive', url: `${naive.url}/token`, headers, pids: [naive.proc.pid, redis.proc.pid] },
      ],
      { connections: cfg.connections, seconds: cfg.seconds, rounds: cfg.rounds, warmupSeconds: cfg.warmupSeconds },
    );
    const { broker: b, logged: l, bare: f, node: h, naive: n } = results;
    return {
      broker: b,
      logged: l,
      bare: f,
      node: h,
      naive: n,
      readyMs: broker.readyMs,
      rssIdle,
      rssLoaded: rssMb(broker.proc.pid),
      rssLoadedDefaults: rssMb(logged.proc.pid),
    };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}
