import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { ManagedProcess, startProcess } from './child-process';
import { assertRedisInstalled, redisNodeClients } from './redis-nodes';
import { distinctFreePorts, RedisClusterNode } from './redis-cluster';
import { recordKeyspace } from './leak-ledger';
import { waitUntil } from './wait';

export interface TestRedisSentinel {
  readonly sentinels: readonly RedisClusterNode[];
  /** `127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3`, for REDIS_SENTINELS. */
  readonly sentinelsEnv: string;
  /** The master name, for REDIS_SENTINEL_NAME. */
  readonly name: string;
  /** The primary and the replica at start; they swap roles on a failover. */
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** A plain client of one data node or sentinel, for assertions; closed by `stop()`. */
  node(port: number): Redis;
  /** The primary's port as the first sentinel reports it. */
  masterPort(): Promise<number>;
  /**
   * SENTINEL FAILOVER; resolves with the new primary's port once every sentinel reports it,
   * it answers as a master and the old primary follows it as an in-sync replica.
   */
  failover(): Promise<number>;
  /** SIGKILLs the current primary; resolves with the new primary's port once every sentinel reports it. */
  killPrimary(): Promise<number>;
  /** Every sentinel's log so far (`+sdown`, `+odown`, `+elected-leader`, `+switch-master`...). */
  sentinelLogs(): string[];
  stop(): Promise<void>;
}

const NAME = 'broker-test';
const TIMEOUT_MS = 20_000;

/** Flattened `[k1, v1, k2, v2]` replies of SENTINEL REPLICAS and the like, as objects. */
const fields = (flat: string[]): Record<string, string> =>
  Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));

/**
 * Sentinel's timings. A failover starts once the primary has been unreachable for
 * down-after-milliseconds (and a quorum agrees); when an election fails (split votes) or a
 * failover was tried less than 2 x failover-timeout ago (a SENTINEL FAILOVER included),
 * the sentinels wait out that 2 x failover-timeout before trying again: 10 s with 5000, the
 * bulk of a ~19 s failover once measured here. 3000 still leaves a loaded machine time to
 * promote the replica (the promotion is aborted past failover-timeout).
 */
export const SENTINEL_TIMINGS = { downAfterMs: 1_000, failoverTimeoutMs: 3_000 } as const;

function sentinelConf(port: number, dir: string, primaryPort: number): string {
  return [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    // Everything is on loopback and named by IP: no hostname resolution, no announce-ip needed.
    'sentinel resolve-hostnames no',
    `sentinel monitor ${NAME} 127.0.0.1 ${primaryPort} 2`,
    `sentinel down-after-milliseconds ${NAME} ${SENTINEL_TIMINGS.downAfterMs}`,
    `sentinel failover-timeout ${NAME} ${SENTINEL_TIMINGS.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${NAME} 1`,
    '',
  ].join('\n');
}

/**
 * Starts a primary, one replica and three sentinels (quorum 2) on loopback free ports and
 * resolves once the replica is in sync and every sentinel knows the primary, the replica and
 * the two other sentinels (so that a failover, manual or automatic, can run at once).
 */
export async function startRedisSentinel(): Promise<TestRedisSentinel> {
  assertRedisInstalled('The Sentinel tests start their own primary, replica and sentinels');
  const [primaryPort, replicaPort, ...sentinelPorts] = await distinctFreePorts(5);
  const dir = mkdtempSync(join(tmpdir(), 'broker-redis-sentinel-'));
  const processes = new Map<number, ManagedProcess>();
  const { node, disconnectAll } = redisNodeClients();
  const stop = async () => {
    disconnectAll();
    // Both data nodes' keyspaces for the leak scan (whichever is primary now; a killed one is skipped).
    await Promise.all(
      [primaryPort, replicaPort].map((port) => recordKeyspace(`redis://127.0.0.1:${port}`, 'redis-sentinel')),
    );
    // Sentinels first, so none of them reacts to the data nodes going away.
    const all = [...processes.entries()];
    await Promise.all(all.filter(([port]) => sentinelPorts.includes(port)).map(([, p]) => p.stop('SIGTERM')));
    await Promise.all(all.filter(([port]) => !sentinelPorts.includes(port)).map(([, p]) => p.stop('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  };
  const started = (port: number) =>
    waitUntil(`redis on port ${port}`, async () => (await node(port).ping()) === 'PONG').catch((error: Error) => {
      throw new Error(`${error.message}\n${processes.get(port)?.output()}`);
    });
  const dataNode = (port: number, extra: string[] = []) =>
    processes.set(
      port,
      startProcess('redis-server', [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        // A full sync waits 5 s by default in Redis 7, for more replicas to join: not here.
        ...['--repl-diskless-sync-delay', '0', ...extra],
      ]),
    );

  const masterPortOf = async (sentinel: number) =>
    Number(((await node(sentinel).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string])[1]);
  const masterPort = () => masterPortOf(sentinelPorts[0]);
  const inSync = async (replica: number, primary: number) => {
    const info = await node(replica).info('replication');
    return info.includes('role:slave') && info.includes(`master_port:${primary}`) && /master_link_status:up/.test(info);
  };
  const everySentinelReports = (port: number) =>
    waitUntil(
      `every sentinel to report port ${port} as the primary`,
      async () => (await Promise.all(sentinelPorts.map(masterPortOf))).every((p) => p === port),
      TIMEOUT_MS,
    );

  try {
    dataNode(primaryPort);
    dataNode(replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]);
    await Promise.all([started(primaryPort), started(replicaPort)]);
    await waitUntil('the replica to be in sync', () => inSync(replicaPort, primaryPort), TIMEOUT_MS);
    for (const port of sentinelPorts) {
      // Sentinel rewrites its config file (ids, discovered peers): it must be writable.
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(conf, sentinelConf(port, dir, primaryPort));
      processes.set(port, startProcess('redis-server', [conf, '--sentinel']));
    }
    await Promise.all(sentinelPorts.map(started));
    await waitUntil(
      'every sentinel to know the primary, the replica and the other sentinels',
      async () => {
        const views = await Promise.all(
          sentinelPorts.map(async (port) => {
            const replicas = ((await node(port).call('SENTINEL', 'REPLICAS', NAME)) as string[][]).map(fields);
            const peers = (await node(port).call('SENTINEL', 'SENTINELS', NAME)) as string[][];
            return (
              (await masterPortOf(port)) === primaryPort &&
              replicas.some((r) => r.port === String(replicaPort) && r.flags === 'slave') &&
              peers.length === sentinelPorts.length - 1
            );
          }),
        );
        return views.every(Boolean);
      },
      TIMEOUT_MS,
      100,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
    sentinelsEnv: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
    name: NAME,
    primaryPort,
    replicaPort,
    node,
    masterPort,
    async failover() {
      const before = await masterPort();
      const after = before === primaryPort ? replicaPort : primaryPort;
      await node(sentinelPorts[0]).call('SENTINEL', 'FAILOVER', NAME);
      await everySentinelReports(after);
      await waitUntil(`port ${after} to answer as a master`, async () => (await node(after).role())[0] === 'master');
      await waitUntil(`the old primary to follow port ${after}`, () => inSync(before, after), TIMEOUT_MS);
      return after;
    },
    async killPrimary() {
      const before = await masterPort();
      await processes.get(before)?.stop('SIGKILL');
      const after = before === primaryPort ? replicaPort : primaryPort;
      await everySentinelReports(after);
      return after;
    },
    sentinelLogs: () => sentinelPorts.map((port) => processes.get(port)?.output() ?? ''),
    stop,
  };
}
