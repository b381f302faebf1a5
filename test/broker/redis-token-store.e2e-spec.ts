import calculateSlot from 'cluster-key-slot';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TokenCipher } from '../../apps/broker/src/crypto/token-cipher';
import { withLock } from '../../apps/broker/src/lock/with-lock';
import { tokenKeys } from '../../apps/broker/src/store/token-keys';
import { RedisTokenStore } from '../../apps/broker/src/store/redis-token-store';
import { redisOptions } from '../../apps/broker/src/redis/redis-options';
import { startRedis, TestRedis } from '../support/redis-server';
import { makeRecord } from '../support/token-records';
import { sleep, waitUntil } from '../support/wait';

const KEY_A = { id: 'a', key: randomBytes(32) };
const KEY_B = { id: 'b', key: randomBytes(32) };

describe('RedisTokenStore: the fenced lock and compare-and-set scripts on a real redis-server', () => {
  let redis: TestRedis;
  let client: Redis;
  let subscriber: Redis;
  let store: RedisTokenStore;
  let profile = 'p0';
  let n = 0;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { ...redisOptions('test'), enableOfflineQueue: true });
    subscriber = new Redis(redis.url, { ...redisOptions('test-sub'), enableOfflineQueue: true });
    store = new RedisTokenStore(client, subscriber, new TokenCipher([KEY_A]));
    store.onModuleInit();
  });
  beforeEach(() => {
    profile = `p${++n}`;
  });
  afterAll(async () => {
    await Promise.all([client.quit(), subscriber.quit()]);
    await redis.stop();
  });

  it('hands the lock to one owner at a time, with increasing fences', async () => {
    const first = await store.acquireLock(profile, 10_000, 0);
    expect(first?.fence).toBe(1);
    expect(await store.acquireLock(profile, 10_000, 0)).toBeUndefined();
    expect(await store.releaseLock(first!)).toBe(true);
    const second = await store.acquireLock(profile, 10_000, 0);
    expect(second?.fence).toBe(2);
  });

  it('releases only for the owner (compare-and-delete)', async () => {
    const lease = await store.acquireLock(profile, 10_000, 0);
    expect(await store.releaseLock({ ...lease!, owner: 'someone-else' })).toBe(false);
    expect(await redis.client().exists(tokenKeys(profile).lock)).toBe(1);
    expect(await store.releaseLock(lease!)).toBe(true);
    expect(await store.releaseLock(lease!)).toBe(false);
  });

  it('frees a lock whose acquisition timed out, once a paused Redis runs it (no lease held by nobody)', async () => {
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))![1]);
    const impatient = new Redis(redis.url, {
      ...redisOptions('test-impatient'),
      enableOfflineQueue: true,
      commandTimeout: 300,
    });
    const slowStore = new RedisTokenStore(impatient, subscriber, new TokenCipher([KEY_A]));
    try {
      await impatient.ping();
      process.kill(pid, 'SIGSTOP');
      try {
        await expect(slowStore.acquireLock(profile, 10_000, 0)).rejects.toThrow(/timed out/i);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      // Answered in order on that connection: the acquisition has run by now, and anything sent after it.
      await impatient.ping();
      expect(await client.exists(tokenKeys(profile).lock)).toBe(0);
      expect(await store.acquireLock(profile, 10_000, 0)).toEqual(expect.objectContaining({ fence: 2 }));
    } finally {
      impatient.disconnect();
    }
  });

  it('lets the lock expire after its TTL, and a late release does not free the next owner', async () => {
    const stale = await store.acquireLock(profile, 200, 0);
    await sleep(400);
    const next = await store.acquireLock(profile, 10_000, 0);
    expect(next?.fence).toBe(stale!.fence + 1);
    expect(await store.releaseLock(stale!)).toBe(false);
    expect(await store.acquireLock(profile, 10_000, 0)).toBeUndefined();
  });

  it('rejects a write whose fence is at or below the stored one (stale writer, replay)', async () => {
    const a = await store.acquireLock(profile, 10_000, 0);
    await store.releaseLock(a!);
    const b = await store.acquireLock(profile, 10_000, 0);
    expect(await store.write(makeRecord(profile, b!.fence))).toBe(true);
    expect(await store.write(makeRecord(profile, a!.fence, { accessToken: 'stale' }))).toBe(false);
    expect(await store.write(makeRecord(profile, b!.fence, { accessToken: 'replayed' }))).toBe(false);
    expect((await store.read(profile))?.accessToken).toBe(`token-${profile}-${b!.fence}`);
  });

  it('rejects a write from a holder whose lock expired once a newer lease was handed out', async () => {
    const paused = await store.acquireLock(profile, 150, 0);
    await sleep(300);
    const newer = await store.acquireLock(profile, 10_000, 0);
    // The paused holder wakes up before the newer one has written anything.
    expect(await store.write(makeRecord(profile, paused!.fence))).toBe(false);
    expect(await store.write(makeRecord(profile, newer!.fence))).toBe(true);
    expect((await store.read(profile))?.fence).toBe(newer!.fence);
  });

  it('hands out fences above the stored record and the caller floor after the counter is lost (FLUSHALL)', async () => {
    const lease = await store.acquireLock(profile, 10_000, 0);
    await store.write(makeRecord(profile, lease!.fence));
    await store.releaseLock(lease!);
    await redis.client().del(tokenKeys(profile).fence);
    expect((await store.acquireLock(profile, 100, 0))?.fence).toBe(lease!.fence + 1);
    await redis.client().flushall();
    // Nothing left in Redis: the replica's memory (fence floor 41) keeps the fence rising.
    const after = await store.acquireLock(profile, 10_000, 41);
    expect(after?.fence).toBe(42);
    expect(await store.write(makeRecord(profile, 42))).toBe(true);
  });

  it('keeps the lock for a backoff period when asked, only for the owner', async () => {
    const result = await withLock(store, profile, { leaseMs: 5_000, maxHoldMs: 5_000 }, 0, (lock) => {
      lock.holdFor(60_000);
      return Promise.resolve(lock.fence);
    });
    expect(result).toEqual({ acquired: true, value: 1, lost: false });
    const ttl = await redis.client().pttl(tokenKeys(profile).lock);
    expect(ttl).toBeGreaterThan(30_000);
    expect(
      await withLock(store, profile, { leaseMs: 5_000, maxHoldMs: 5_000 }, 0, () => Promise.resolve('ran')),
    ).toEqual({ acquired: false });
  });

  it('releases the lock when the work throws', async () => {
    await expect(
      withLock(store, profile, { leaseMs: 5_000, maxHoldMs: 5_000 }, 0, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(await redis.client().exists(tokenKeys(profile).lock)).toBe(0);
  });

  it("counts a pending hand-over's holder (dead, stopped, or past its lease) as acknowledging the next one", async () => {
    for (const replica of ['x', 'y', 'b', 'c']) await store.heartbeat(profile, replica, 10_000);
    await sleep(150); // the registry is older than the presence ttl passed below (100 ms)
    const first = (await store.acquireLock(profile, 100, 0))!;
    expect(await store.beginHandOver(first, 100, 10_000, 'x')).toBe(0);
    expect((await store.unacknowledged(profile, first.fence, 'x')).sort()).toEqual(['b', 'c', 'y']);
    // x dies: its lease runs out, b takes the lock and inherits the pending hand-over.
    await sleep(150);
    const next = (await store.acquireLock(profile, 10_000, 0))!;
    expect(await store.beginHandOver(next, 100, 10_000, 'b')).toBe(0);
    expect((await store.unacknowledged(profile, next.fence, 'b')).sort()).toEqual(['c', 'y']);
    // x cannot end its own hand-over any more (it would serve the token b is revoking); b can.
    expect(await store.endHandOver(profile, first.fence)).toBe(false);
    expect(await store.endHandOver(profile, next.fence)).toBe(true);
    // With no hand-over pending, nobody is counted in advance.
    await store.releaseLock(next);
    const third = (await store.acquireLock(profile, 10_000, 0))!;
    expect(await store.beginHandOver(third, 100, 10_000, 'c')).toBe(0);
    expect((await store.unacknowledged(profile, third.fence, 'c')).sort()).toEqual(['b', 'x', 'y']);
  });

  it('tells whoever reads which hand-over is pending and which its holder ended, and nothing once Redis lost them', async () => {
    const seen: { pending?: number; ended?: number }[] = [];
    const mine = profile;
    store.onHandOverSeen((p, pending, ended) => {
      if (p === mine) seen.push({ pending, ended });
    });
    await store.heartbeat(profile, 'x', 10_000);
    await sleep(150); // the registry is older than the presence ttl passed below (100 ms)
    expect(await store.write(makeRecord(profile, 1))).toBe(true);
    const first = (await store.acquireLock(profile, 10_000, 1))!;
    expect(await store.beginHandOver(first, 100, 10_000, 'x')).toBe(0);
    await store.read(profile);
    expect(seen.pop()).toEqual({ pending: first.fence, ended: undefined });
    // Ended by its holder (no token): the hash says so.
    expect(await store.endHandOver(profile, first.fence)).toBe(true);
    await store.read(profile);
    expect(seen.pop()).toEqual({ pending: undefined, ended: first.fence });
    // Ended by its token: nothing says the newer one ended without a token.
    await store.releaseLock(first);
    const second = (await store.acquireLock(profile, 10_000, 1))!;
    expect(await store.beginHandOver(second, 100, 10_000, 'x')).toBe(0);
    expect(await store.write(makeRecord(profile, second.fence))).toBe(true);
    await store.read(profile);
    expect(seen.pop()).toEqual({ pending: undefined, ended: first.fence });
    // Redis lost its data while a third was pending: its holder cannot end it any more.
    await store.releaseLock(second);
    const third = (await store.acquireLock(profile, 10_000, 1))!;
    expect(await store.beginHandOver(third, 100, 10_000, 'x')).toBe(0);
    await redis.client().flushall();
    await store.read(profile);
    expect(seen.pop()).toEqual({ pending: undefined, ended: undefined });
    expect(await store.endHandOver(profile, third.fence)).toBe(false);
  });

  it('takes a lease as stale once a record of its fence or newer is written back, and waits for a young registry', async () => {
    // Redis back empty: a replica holding nothing took the lock first (fence 1).
    const lease = (await store.acquireLock(profile, 10_000, 0))!;
    expect(lease.fence).toBe(1);
    await store.heartbeat(profile, 'x', 10_000);
    const waitMs = await store.registryWait(lease, 5_000);
    expect(waitMs).toBeGreaterThan(4_000);
    expect(waitMs).toBeLessThanOrEqual(5_000);
    expect(await store.beginHandOver(lease, 5_000, 10_000, 'x')).toBeGreaterThan(0);
    // Another replica writes back the token it held, of fence 38.
    expect(await store.write(makeRecord(profile, 38))).toBe(true);
    expect(await store.registryWait(lease, 5_000)).toBe(-1);
    expect(await store.beginHandOver(lease, 5_000, 10_000, 'x')).toBe(-1);
    // A lease above the stored fence, on a registry older than the presence ttl: nothing to wait for, nothing recorded.
    await store.releaseLock(lease);
    const next = (await store.acquireLock(profile, 10_000, 0))!;
    expect(next.fence).toBe(39);
    await sleep(150);
    expect(await store.registryWait(next, 100)).toBe(0);
    expect(await redis.client().hget(tokenKeys(profile).token, 'handover')).toBeNull();
  });

  it('expires the record with the token, and keeps every key of a profile in one cluster slot', async () => {
    await store.write(makeRecord(profile, 1, {}, 1_000));
    expect(await redis.client().pttl(tokenKeys(profile).token)).toBeLessThanOrEqual(1_000);
    const slots = Object.values(tokenKeys(profile)).map((key) => calculateSlot(key));
    expect(new Set(slots).size).toBe(1);
    expect(calculateSlot(tokenKeys(`${profile}x`).token)).not.toBe(slots[0]);
  });

  it('keeps a reused token past its expiry until its retry point, so no replica asks Proof before', async () => {
    const reused = makeRecord(profile, 2, {}, 1_000);
    await store.write({ ...reused, refreshAfter: reused.expiresAt + 2_000 });
    const ttl = await redis.client().pttl(tokenKeys(profile).token);
    expect(ttl).toBeGreaterThan(2_000);
    expect(ttl).toBeLessThanOrEqual(3_000);
  });

  it('stores records encrypted: no token in Redis, and readable after a key rotation', async () => {
    await store.write(makeRecord(profile, 1, { accessToken: 'plain-token-value' }));
    const raw = await redis.client().hgetall(tokenKeys(profile).token);
    expect(JSON.stringify(raw)).not.toContain('plain-token-value');
    expect(JSON.parse(raw.record)).toMatchObject({ v: 1, kid: 'a' });
    const rotated = new RedisTokenStore(client, subscriber, new TokenCipher([KEY_B, KEY_A]));
    expect((await rotated.read(profile))?.accessToken).toBe('plain-token-value');
    expect(await rotated.write(makeRecord(profile, 2, { accessToken: 'second' }))).toBe(true);
    expect(JSON.parse((await redis.client().hget(tokenKeys(profile).token, 'record'))!)).toMatchObject({ kid: 'b' });
    expect((await store.read(profile))?.accessToken).toBeUndefined();
  });

  it('rejects a record tampered with in Redis instead of serving it', async () => {
    await store.write(makeRecord(profile, 1, { accessToken: 'genuine' }));
    const other = `${profile}-other`;
    await store.write(makeRecord(other, 5, { accessToken: 'other-profile-token' }));
    // Moving another profile's record here, or bumping the fence, breaks the bound data.
    const moved = await redis.client().hget(tokenKeys(other).token, 'record');
    await redis.client().hset(tokenKeys(profile).token, 'record', moved!, 'fence', '5');
    expect(await store.read(profile)).toBeUndefined();
    await store.write(makeRecord(profile, 6, { accessToken: 'genuine-6' }));
    await redis.client().hset(tokenKeys(profile).token, 'fence', '7');
    expect(await store.read(profile)).toBeUndefined();
  });

  it('publishes updates (profile and fence only) to every subscriber', async () => {
    const seen: Array<[string, number]> = [];
    store.onUpdate((event) => seen.push([event.profile, event.fence]));
    await waitUntil(
      'subscription',
      async () => (await redis.client().pubsub('NUMSUB', 'broker:token-updates'))[1] === 1,
    );
    await store.publish({ profile, fence: 7, kind: 'written' });
    await waitUntil('message delivery', () => seen.some(([p, f]) => p === profile && f === 7));
  });
});
