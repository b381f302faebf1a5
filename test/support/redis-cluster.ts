import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { ManagedProcess, startProcess } from './child-process';
import { assertRedisInstalled, redisNodeClients } from './redis-nodes';
import { freePort } from './free-port';
import { recordKeyspace } from './leak-ledger';
import { waitUntil } from './wait';

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

export interface TestRedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, for REDIS_CLUSTER_NODES. */
  readonly nodesEnv: string;
  /** A plain (non-cluster) client of one node, for assertions; closed by `stop()`. */
  node(port: number): Redis;
  /** The node serving `slot` (0-16383), from CLUSTER SLOTS. */
  ownerOfSlot(slot: number): Promise<RedisClusterNode>;
  /** FLUSHALL on every master: a cluster FLUSHALL only empties the node it is sent to. */
  flushAll(): Promise<void>;
  stop(): Promise<void>;
}

const MASTERS = 3;

/** `count` free ports, all different (freePort alone may hand the same one out twice). */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Starts a real 3-master Redis Cluster (no replicas) on loopback free ports, persistence
 * off, and resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  assertRedisInstalled('The Redis Cluster tests start their own cluster', ['redis-server', 'redis-cli']);
  const dir = mkdtempSync(join(tmpdir(), 'broker-redis-cluster-'));
  const servers: ManagedProcess[] = [];
  const { node, disconnectAll } = redisNodeClients();
  const stop = async () => {
    disconnectAll();
    // Every node's share of the keyspace, for the leak scan (a node holds only its slots).
    await Promise.all(ports.map((port) => recordKeyspace(`redis://127.0.0.1:${port}`, 'redis-cluster')));
    await Promise.all(servers.map((s) => s.stop('SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  };

  const ports: number[] = [];
  try {
    // The cluster bus defaults to port + 10000, which may be taken or above 65535: pick it too.
    const picked = await distinctFreePorts(2 * MASTERS);
    for (let i = 0; i < MASTERS; i++) {
      const [port, busPort] = picked.slice(2 * i, 2 * i + 2);
      ports.push(port);
      const server = startProcess('redis-server', [
        ...['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1'],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)],
        ...['--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir],
      ]);
      servers.push(server);
    }
    await Promise.all(
      ports.map((port, i) =>
        waitUntil(`cluster node on port ${port}`, async () => (await node(port).ping()) === 'PONG').catch(
          (error: Error) => {
            throw new Error(`${error.message}\n${servers[i].output()}`);
          },
        ),
      ),
    );
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    try {
      await promisify(execFile)(
        'redis-cli',
        ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
        { timeout: 30_000 },
      );
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`redis-cli --cluster create failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
    }
    await waitUntil(
      'cluster_state:ok on every node',
      async () => {
        const infos = await Promise.all(ports.map((port) => node(port).cluster('INFO')));
        return infos.every((info) => /cluster_state:ok/.test(info) && /cluster_known_nodes:3\b/.test(info));
      },
      20_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    nodes,
    nodesEnv: nodes.map((n) => `${n.host}:${n.port}`).join(','),
    node,
    async ownerOfSlot(slot) {
      const ranges = await node(nodes[0].port).cluster('SLOTS');
      const range = ranges.find(([from, to]) => from <= slot && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return { host: range[2][0], port: Number(range[2][1]) };
    },
    async flushAll() {
      await Promise.all(nodes.map((n) => node(n.port).flushall()));
    },
    stop,
  };
}
