import calculateSlot from 'cluster-key-slot';
import { randomBytes } from 'node:crypto';
import { TokenCipher } from '../../apps/broker/src/crypto/token-cipher';
import { connectRedis } from '../../apps/broker/src/redis/redis-connect';
import { closeRedis } from '../../apps/broker/src/redis/redis-revival';
import type { RedisClient } from '../../apps/broker/src/redis/redis.tokens';
import { RedisTokenStore } from '../../apps/broker/src/store/redis-token-store';
import { TOKEN_UPDATES_CHANNEL, tokenKeys } from '../../apps/broker/src/store/token-keys';
import { makeRecord } from '../support/token-records';
import { sleep, waitUntil } from '../support/wait';
import { startTopology, TestTopology, TopologyKind } from './test-topology';

/**
 * The fenced lock, compare-and-set and pub/sub of test/broker/redis-token-store.e2e-spec.ts,
 * through the broker's own `connectRedis` on a real Redis Cluster and a real Sentinel setup.
 * On the cluster every test runs once per master (a profile whose hash tag lands there), so
 * the Lua scripts run with their hash-tagged keys on every shard.
 */
describe.each<TopologyKind>(['cluster', 'sentinel'])('RedisTokenStore on Redis %s', (kind) => {
  let topology: TestTopology;
  let client: RedisClient;
  let subscriber: RedisClient;
  let store: RedisTokenStore;
  let profiles: string[] = [];
  let n = 0;

  beforeAll(async () => {
    topology = await startTopology(kind);
    client = connectRedis(topology.redis, 'test', true);
    subscriber = connectRedis(topology.redis, 'test-sub', true);
    store = new RedisTokenStore(client, subscriber, new TokenCipher([{ id: 'test', key: randomBytes(32) }]));
    store.onModuleInit();
    await waitUntil(`the ${kind} client to be ready`, () => store.ready);
  }, 60_000);
  beforeEach(async () => {
    profiles = await topology.profilesOnEveryMaster(`t${++n}`);
  });
  afterAll(async () => {
    await Promise.all([client, subscriber].filter(Boolean).map(closeRedis));
    await topology?.stop();
  });

  const eachProfile = (test: (profile: string) => Promise<void>) => Promise.all(profiles.map(test));

  it('spreads the test profiles over every master, each profile in one slot', async () => {
    const masters = await topology.masters();
    expect(profiles).toHaveLength(masters.length);
    const holders = new Set<string>();
    for (const profile of profiles) {
      const slots = Object.values(tokenKeys(profile)).map((key) => calculateSlot(key));
      expect(new Set(slots).size).toBe(1);
      const master = await topology.masterFor(tokenKeys(profile).token);
      // The server hashes the tag the same way the client does.
      if (kind === 'cluster') expect(await master.cluster('KEYSLOT', tokenKeys(profile).lock)).toBe(slots[0]);
      holders.add(`${master.options.port}`);
    }
    expect(holders.size).toBe(masters.length);
  });

  it('hands the lock to one owner at a time, with increasing fences', () =>
    eachProfile(async (profile) => {
      const first = await store.acquireLock(profile, 10_000, 0);
      expect(first?.fence).toBe(1);
      expect(await store.acquireLock(profile, 10_000, 0)).toBeUndefined();
      expect(await store.releaseLock(first!)).toBe(true);
      const second = await store.acquireLock(profile, 10_000, 0);
      expect(second?.fence).toBe(2);
      // The lock and the counter live on the master that owns the profile's slot.
      const master = await topology.masterFor(tokenKeys(profile).lock);
      expect(await master.exists(tokenKeys(profile).lock, tokenKeys(profile).fence)).toBe(2);
    }));

  it('releases only for the owner (compare-and-delete)', () =>
    eachProfile(async (profile) => {
      const lease = await store.acquireLock(profile, 10_000, 0);
      expect(await store.releaseLock({ ...lease!, owner: 'someone-else' })).toBe(false);
      const master = await topology.masterFor(tokenKeys(profile).lock);
      expect(await master.exists(tokenKeys(profile).lock)).toBe(1);
      expect(await store.releaseLock(lease!)).toBe(true);
      expect(await store.releaseLock(lease!)).toBe(false);
      expect(await master.exists(tokenKeys(profile).lock)).toBe(0);
    }));

  it('rejects a write whose fence is at or below the stored one (stale writer, replay)', () =>
    eachProfile(async (profile) => {
      const a = await store.acquireLock(profile, 10_000, 0);
      await store.releaseLock(a!);
      const b = await store.acquireLock(profile, 10_000, 0);
      expect(await store.write(makeRecord(profile, b!.fence))).toBe(true);
      expect(await store.write(makeRecord(profile, a!.fence, { accessToken: 'stale' }))).toBe(false);
      expect(await store.write(makeRecord(profile, b!.fence, { accessToken: 'replayed' }))).toBe(false);
      expect((await store.read(profile))?.accessToken).toBe(`token-${profile}-${b!.fence}`);
      const master = await topology.masterFor(tokenKeys(profile).token);
      expect(await master.hget(tokenKeys(profile).token, 'fence')).toBe(String(b!.fence));
    }));

  it('rejects a write from a holder whose lock expired once a newer lease was handed out', () =>
    eachProfile(async (profile) => {
      const paused = await store.acquireLock(profile, 150, 0);
      await sleep(300);
      const newer = await store.acquireLock(profile, 10_000, 0);
      expect(await store.write(makeRecord(profile, paused!.fence))).toBe(false);
      expect(await store.write(makeRecord(profile, newer!.fence))).toBe(true);
      expect((await store.read(profile))?.fence).toBe(newer!.fence);
    }));

  it('hands out fences above the stored record and the caller floor after the counter is lost', async () => {
    const fences = await Promise.all(
      profiles.map(async (profile) => {
        const lease = await store.acquireLock(profile, 10_000, 0);
        await store.write(makeRecord(profile, lease!.fence));
        await store.releaseLock(lease!);
        await (await topology.masterFor(tokenKeys(profile).fence)).del(tokenKeys(profile).fence);
        expect((await store.acquireLock(profile, 100, 0))?.fence).toBe(lease!.fence + 1);
        return lease!.fence;
      }),
    );
    expect(fences.every((f) => f === 1)).toBe(true);
    await topology.flushAll();
    await eachProfile(async (profile) => {
      expect(await store.read(profile)).toBeUndefined();
      // Nothing left in Redis: the replica's memory (fence floor 41) keeps the fence rising.
      expect((await store.acquireLock(profile, 10_000, 41))?.fence).toBe(42);
      expect(await store.write(makeRecord(profile, 42))).toBe(true);
      expect(await store.write(makeRecord(profile, 41))).toBe(false);
    });
  });

  it('publishes updates (profile and fence only) to the subscriber, from every master', async () => {
    const seen: Array<[string, number]> = [];
    store.onUpdate((event) => seen.push([event.profile, event.fence]));
    const masters = await topology.masters();
    // NUMSUB is node-local; a cluster forwards PUBLISH to every node, so one subscription is enough.
    await waitUntil('the subscription', async () => {
      const counts = await Promise.all(
        masters.map(async (m) => Number((await m.pubsub('NUMSUB', TOKEN_UPDATES_CHANNEL))[1])),
      );
      return counts.reduce((a, b) => a + b, 0) === 1;
    });
    const [profile] = profiles;
    await store.publish({ profile, fence: 7, kind: 'written' });
    await waitUntil('delivery of the store publish', () => seen.some(([p, f]) => p === profile && f === 7));
    await Promise.all(
      masters.map((m, i) =>
        m.publish(TOKEN_UPDATES_CHANNEL, JSON.stringify({ profile, fence: 100 + i, kind: 'written' })),
      ),
    );
    const expected = masters.map((_, i) => 100 + i);
    await waitUntil(`delivery from every master (${masters.length})`, () =>
      expected.every((fence) => seen.some(([p, f]) => p === profile && f === fence)),
    );
  });
});
