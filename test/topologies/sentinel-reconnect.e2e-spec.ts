import type { RedisTopology } from '../../apps/broker/src/config/broker-config';
import { connectRedis } from '../../apps/broker/src/redis/redis-connect';
import { closeRedis } from '../../apps/broker/src/redis/redis-revival';
import type { RedisClient } from '../../apps/broker/src/redis/redis.tokens';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { startRedisSentinel, TestRedisSentinel } from '../support/redis-sentinel';
import { waitUntil } from '../support/wait';

/**
 * The broker's Sentinel client (connectRedis) when its reconnect meets a sentinel that does
 * not answer, and a +switch-master while it is asking a sentinel for the primary: the cause
 * of the late broker in docs/RELIABILITY.md, "Sentinel failover". The first sentinel the
 * client knows sits behind a fault proxy that can hold its answers (a blackhole), which
 * pins the client inside that question for as long as the test wants.
 */
describe('Sentinel client reconnects', () => {
  let sentinel: TestRedisSentinel;
  let proxy: FaultProxy;
  let topology: RedisTopology;
  const clients: RedisClient[] = [];

  beforeEach(async () => {
    sentinel = await startRedisSentinel();
    proxy = await startFaultProxy(sentinel.sentinels[0].port);
    topology = {
      kind: 'sentinel',
      name: sentinel.name,
      sentinels: [{ host: '127.0.0.1', port: proxy.port }, ...sentinel.sentinels.slice(1)],
    };
  }, 60_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(closeRedis));
    await proxy.close();
    await sentinel.stop();
  });

  /** A command client as the broker makes it, and how many times it became ready or ended. */
  async function readyClient(name: string, sentinelCommandTimeoutMs?: number) {
    const client = connectRedis(topology, name, false, undefined, sentinelCommandTimeoutMs);
    clients.push(client);
    const readies = { count: 0, ends: 0, readyAfterEnd: false };
    client.on('ready', () => {
      readies.count++;
      readies.readyAfterEnd = readies.ends > 0;
    });
    client.on('end', () => readies.ends++);
    await waitUntil(`${name} ready`, () => readies.count === 1, 20_000);
    // Its failover detector listens on the two sentinels reached directly.
    // (A sentinel has no PUBSUB command: its CLIENT LIST flags subscribers with P.)
    await waitUntil(`${name}'s failover detector subscribed`, async () => {
      const lists = await Promise.all(
        sentinel.sentinels.slice(1).map(async ({ port }) => (await sentinel.node(port).client('LIST')) as string),
      );
      return lists.every((list) => / flags=P .* sub=1 /.test(list));
    });
    return { client, readies };
  }

  const connectionsNamed = async (port: number, name: string) =>
    ((await sentinel.node(port).client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(` name=token-broker-${name} `));

  /** Drops the client's connection on the server side: ioredis reconnects, asking the sentinels first. */
  async function dropConnection(port: number, name: string) {
    const [line] = await connectionsNamed(port, name);
    const id = /\bid=(\d+)/.exec(line)![1];
    await sentinel.node(port).client('KILL', 'ID', id);
  }

  it('gets past a sentinel that accepts the connection but never answers', async () => {
    const { readies } = await readyClient('silent');
    proxy.setMode({ kind: 'blackhole' });
    await dropConnection(sentinel.primaryPort, 'silent');

    // ioredis puts no timeout on sentinel commands unless told to: it would wait forever.
    await waitUntil('a second ready, via the next sentinel', () => readies.count === 2, 15_000);
    expect(await connectionsNamed(sentinel.primaryPort, 'silent')).toHaveLength(1);
  }, 60_000);

  it('reaches the new primary when +switch-master arrives while it is asking a sentinel for the primary', async () => {
    // The question is held for the whole failover (the sentinel timeout would end it after 1 s).
    const { client, readies } = await readyClient('racing', 120_000);
    proxy.setMode({ kind: 'blackhole' });
    await dropConnection(sentinel.primaryPort, 'racing');
    await waitUntil('the client reconnecting', () => client.status !== 'ready');

    // +switch-master reaches the client's failover detector, which disconnects the connector
    // in the middle of its question; the sentinel answers once the failover is over.
    const newPrimary = await sentinel.failover();
    proxy.setMode({ kind: 'pass' });

    await waitUntil(
      'the client ready on the new primary',
      async () => client.status === 'ready' && (await connectionsNamed(newPrimary, 'racing')).length === 1,
      15_000,
    );
    // ioredis gave the client up (connecting -> end: the cause) and the broker connected it again.
    expect(readies.ends).toBeGreaterThanOrEqual(1);
    expect(readies.readyAfterEnd).toBe(true);
    expect(await client.set('written-after-failover', '1')).toBe('OK');
    expect(await sentinel.node(newPrimary).get('written-after-failover')).toBe('1');
  }, 60_000);
});
