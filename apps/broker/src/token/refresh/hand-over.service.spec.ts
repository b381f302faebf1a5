import { MemoryTokenStore } from '../../store/memory-token-store';
import type { TokenEvent, TokenStore } from '../../store/token-store';
import { makeRecord } from '../../../../../test/support/token-records';
import { profileOf, unitConfig } from '../../../../../test/support/unit-config';
import type { HeldLock } from '../../lock/with-lock';
import { TokenCache } from '../token-cache.service';
import { HandOver } from './hand-over.service';

// Real time: the holder's wait is BROKER_HANDOVER_MS (50 ms here), polled every 25 ms.
describe('HandOver (embedded store)', () => {
  const build = (policy: string) => {
    const config = unitConfig({ PROOF_TOKEN_POLICY: policy, BROKER_HANDOVER_MS: '50' });
    const store = new MemoryTokenStore();
    const cache = new TokenCache(config);
    const events: TokenEvent[] = [];
    store.onUpdate((event) => events.push(event));
    return { config, profile: profileOf(config), store, cache, events, handOver: new HandOver(config, store, cache) };
  };
  const lockOf = async (store: MemoryTokenStore, floor: number): Promise<HeldLock> => {
    const lease = (await store.acquireLock('default', 30_000, floor))!;
    return {
      ...lease,
      holdFor: () => undefined,
      signal: new AbortController().signal,
      renew: () => store.holdLock(lease, 30_000),
    };
  };

  it('under revoke-previous: stops serving, records and announces the hand-over, waits, keeps the lock', async () => {
    const { profile, store, cache, events, handOver } = build('revoke-previous');
    const held = makeRecord('default', 1);
    await store.write(held);
    cache.offer(held);
    const lock = await lockOf(store, 1);
    const started = Date.now();
    expect(await handOver.begin(profile, lock, held, false)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(cache.serving('default')).toBeUndefined();
    expect(cache.handingOver('default')).toBe(lock.fence);
    expect(events).toEqual([{ profile: 'default', fence: lock.fence, kind: 'handover' }]);
    // The fenced write of the new token ends it everywhere.
    const next = makeRecord('default', lock.fence);
    expect(await store.write(next)).toBe(true);
    cache.offer(next);
    expect(cache.serving('default')).toEqual(next);
  });

  /** A revoke-previous replica serving fence 1 whose lease of fence 2 has begun its hand-over. */
  const begun = async () => {
    const built = build('revoke-previous');
    const held = makeRecord('default', 1);
    await built.store.write(held);
    built.cache.offer(held);
    const lock = await lockOf(built.store, 1);
    await built.handOver.begin(built.profile, lock, held, false);
    return { ...built, held, lock };
  };

  it('ends a hand-over Proof issued nothing for: the old token is served again, and every replica is told', async () => {
    const { cache, events, handOver, held, lock } = await begun();
    await handOver.end('default', lock);
    expect(cache.serving('default')).toEqual(held);
    expect(events.map((e) => e.kind)).toEqual(['handover', 'handover_end']);
  });

  it('keeps the old token unserved when a next holder replaced the hand-over before the end landed', async () => {
    const { store, cache, events, handOver, lock } = await begun();
    // Our lease ran out; the next holder took the lock and recorded its own hand-over.
    await store.releaseLock(lock);
    const next = (await store.acquireLock('default', 30_000, 1))!;
    expect(await (store as TokenStore).beginHandOver(next, 3_000, 30_000, 'next-holder')).toBe(0);
    await handOver.end('default', lock);
    expect(cache.serving('default')).toBeUndefined();
    expect(events.map((e) => e.kind)).toEqual(['handover']);
  });

  it('needs none under another policy or with no live token, and says lost without the lock', async () => {
    const fresh = build('new');
    const held = makeRecord('default', 1);
    fresh.cache.offer(held);
    expect(await fresh.handOver.begin(fresh.profile, await lockOf(fresh.store, 1), held, false)).toBe(false);
    expect(fresh.cache.serving('default')).toEqual(held);

    const revoking = build('revoke-previous');
    const first = await lockOf(revoking.store, 0);
    expect(await revoking.handOver.begin(revoking.profile, first, undefined, false)).toBe(false);
    await revoking.store.releaseLock(first);
    revoking.cache.offer(held);
    const lock = await lockOf(revoking.store, 1);
    await revoking.store.releaseLock(lock);
    expect(await revoking.handOver.begin(revoking.profile, lock, held, false)).toBe('lost');
    expect(revoking.cache.serving('default')).toEqual(held);
    expect(revoking.events).toEqual([]);
  });

  describe('with no live token here, after Redis lost its data (a young replica registry)', () => {
    // Redis back empty asks for 400 ms more (its registry is younger than the presence TTL), once.
    const restarted = () => {
      const built = build('revoke-previous');
      const real = built.store.registryWait.bind(built.store);
      jest.spyOn(built.store, 'registryWait').mockResolvedValueOnce(400).mockImplementation(real);
      return built;
    };

    it('waits for the replicas to register (and write back what they hold) before asking Proof', async () => {
      const { profile, store, cache, handOver } = restarted();
      const lock = await lockOf(store, 0);
      const started = Date.now();
      expect(await handOver.begin(profile, lock, undefined, false)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(cache.handingOver('default')).toBeUndefined();
    });

    it('asks nothing once another replica wrote back a token of its fence or newer meanwhile', async () => {
      const { profile, store, handOver, events } = restarted();
      const lock = await lockOf(store, 0);
      const asked = handOver.begin(profile, lock, undefined, false);
      // broker1 reconnects and writes back the token of fence 38 that Redis lost.
      expect(await store.write(makeRecord('default', 38))).toBe(true);
      expect(await asked).toBe('lost');
      expect(events).toEqual([]);
    });
  });

  describe('waits for replicas only while the old token is servable', () => {
    // Floor 1 s, clock margin 0.1 s: the old token is served by none from 0.4 s on. A silent
    // replica holds the ack wait for BROKER_HANDOVER_MS + the presence TTL (3 s) and an empty
    // Redis the presence wait for 3 s; the old token has 1.3 s left.
    const nearFloor = async () => {
      const config = unitConfig({
        PROOF_TOKEN_POLICY: 'revoke-previous',
        BROKER_HANDOVER_MS: '50',
        BROKER_MIN_TTL_SECONDS: '1',
        BROKER_RECONCILE_INTERVAL_MS: '1000',
        BROKER_PRESENCE_MARGIN_MS: '100',
      });
      const store = new MemoryTokenStore();
      const cache = new TokenCache(config);
      const held = makeRecord('default', 1, {}, 1_300);
      await store.write(held);
      cache.offer(held);
      return { config, profile: profileOf(config), store, cache, held, handOver: new HandOver(config, store, cache) };
    };

    it('stops waiting for a silent replica once the old token reaches its floor', async () => {
      const { profile, store, cache, held, handOver } = await nearFloor();
      jest.spyOn(store, 'unacknowledged').mockResolvedValue(['stopped-replica']);
      const lock = await lockOf(store, 1);
      const started = Date.now();
      expect(await handOver.begin(profile, lock, held, false)).toBe(true);
      // Not before the floor plus the margin (0.4 s), and well before the 3.05 s a servable token waits.
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(cache.handingOver('default')).toBe(lock.fence);
    });

    it('needs no hand-over once the old token reaches its floor while Redis, back empty, waits for replicas', async () => {
      const { profile, store, cache, held, handOver } = await nearFloor();
      // Redis restarted empty: it asks for the presence TTL before the first hand-over.
      jest.spyOn(store, 'beginHandOver').mockResolvedValue(2_500);
      const lock = await lockOf(store, 1);
      const started = Date.now();
      expect(await handOver.begin(profile, lock, held, false)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(Date.now() - started).toBeLessThan(2_000);
      // Not paused by this holder: past the floor nobody serves it anyway, nothing to end.
      expect(cache.handingOver('default')).toBeUndefined();
    });

    it('waits in full for a silent replica on an inherited hand-over with no token here (expiry unknown)', async () => {
      const { config, profile, store } = await nearFloor();
      // This replica holds nothing (it restarted): the old token's expiry is not known here.
      const handOver = new HandOver(config, store, new TokenCache(config));
      jest.spyOn(store, 'unacknowledged').mockResolvedValue(['stopped-replica']);
      const lock = await lockOf(store, 1);
      const started = Date.now();
      expect(await handOver.begin(profile, lock, undefined, true)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    });

    it('still waits for a silent replica while the old token is servable', async () => {
      const { profile, store, handOver } = await nearFloor();
      const servable = makeRecord('default', 1, {}, 60_000);
      jest.spyOn(store, 'unacknowledged').mockResolvedValue(['stopped-replica']);
      const lock = await lockOf(store, 1);
      const started = Date.now();
      expect(await handOver.begin(profile, lock, servable, false)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    });
  });

  it("another replica's hand-over pauses the token here; announce with a deadline and withdraw", async () => {
    const { cache, events, handOver } = build('revoke-previous');
    const held = makeRecord('default', 3);
    cache.offer(held);
    handOver.acknowledge('default', 4);
    expect(cache.serving('default')).toBeUndefined();
    cache.resume('default', 4);
    await handOver.announce('default', 5, Date.now() + 60_000);
    expect(cache.serving('default')).toBeUndefined();
    await handOver.withdraw('default', 5);
    expect(cache.serving('default')).toEqual(held);
    expect(events).toEqual([
      { profile: 'default', fence: 5, kind: 'handover' },
      { profile: 'default', fence: 5, kind: 'handover_end' },
    ]);
  });
});
