import type { TokenStore } from '../../store/token-store';
import { unitConfig } from '../../../../../test/support/unit-config';
import { leaseEndsAt, nextCheckAt, vouchedForMs } from './presence-lease-policy';
import { ServingLease } from './serving-lease.service';

const store = (kind: 'redis' | 'memory') => ({ kind }) as TokenStore;
// Reconcile 1 s: present 3 s after each heartbeat (presenceTtlMs), lease 1 s shorter.
const env = {
  PROOF_TOKEN_POLICY: 'revoke-previous',
  BROKER_RECONCILE_INTERVAL_MS: '1000',
  BROKER_PRESENCE_MARGIN_MS: '1000',
  BROKER_LEASE_CHECK_INTERVAL_MS: '3000',
  BROKER_UPSTREAM_TIMEOUT_MS: '2000',
  BROKER_LOCK_TTL_MS: '5000',
};

describe('presence lease policy', () => {
  it('ends the lease the margin before the registry entry can expire, counted from when the heartbeat was sent', () => {
    expect(leaseEndsAt(10_000, 3_000, 1_000)).toBe(12_000);
    expect(leaseEndsAt(10_000, 15_000, 1_000)).toBe(24_000);
  });

  it('spaces token/info checks by the interval, except for a rejection report', () => {
    expect(nextCheckAt(undefined, 5_000, 3_000)).toBe(5_000);
    expect(nextCheckAt(4_000, 5_000, 3_000)).toBe(7_000);
    expect(nextCheckAt(1_000, 5_000, 3_000)).toBe(5_000);
    expect(nextCheckAt(4_000, 5_000, 3_000, true)).toBe(5_000);
    expect(vouchedForMs(3_000, 2_000)).toBe(8_000);
  });
});

describe('ServingLease (fake clock)', () => {
  let lease: ServingLease;
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    lease = new ServingLease(unitConfig(env), store('redis'));
  });
  afterEach(() => jest.useRealTimers());

  it('serves only while the last landed heartbeat keeps the lease live, and not before the first', () => {
    expect(lease.guards('default')).toBe(true);
    expect(lease.allows('default', 1)).toBe(false);
    lease.renewed('default', performance.now());
    expect(lease.allows('default', 1)).toBe(true);
    jest.advanceTimersByTime(1_999);
    expect(lease.allows('default', 1)).toBe(true);
    jest.advanceTimersByTime(1);
    // 2 s after the heartbeat left: 1 s before Redis can drop the entry.
    expect(lease.live('default')).toBe(false);
    expect(lease.allows('default', 1)).toBe(false);
  });

  it('never shortens the lease with a heartbeat that was sent earlier but landed later', () => {
    const early = performance.now();
    jest.advanceTimersByTime(500);
    lease.renewed('default', performance.now());
    lease.renewed('default', early);
    jest.advanceTimersByTime(1_800);
    expect(lease.live('default')).toBe(true);
  });

  it('never allows a refused token again, even with a live lease; a newer token is allowed', () => {
    lease.renewed('default', performance.now());
    lease.refuse('default', 4);
    expect(lease.allows('default', 4)).toBe(false);
    expect(lease.allows('default', 3)).toBe(false);
    expect(lease.allows('default', 5)).toBe(true);
    lease.refuse('default', 2);
    expect(lease.isRefused('default', 4)).toBe(true);
  });

  it('keeps readiness on a "valid" answer for two check intervals and a request, for that token only', () => {
    lease.vouch('default', 7, performance.now());
    expect(lease.vouchedFor('default', 7)).toBe(true);
    expect(lease.vouchedFor('default', 8)).toBe(false);
    jest.advanceTimersByTime(7_999);
    expect(lease.vouchedFor('default', 7)).toBe(true);
    jest.advanceTimersByTime(1);
    expect(lease.vouchedFor('default', 7)).toBe(false);
    lease.vouch('default', 7, performance.now());
    lease.refuse('default', 7);
    expect(lease.vouchedFor('default', 7)).toBe(false);
  });

  it('under `new` and `reuse` on Redis, says cut off once a presence lease passes without a heartbeat landing', () => {
    const unguarded = new ServingLease(unitConfig({ ...env, PROOF_TOKEN_POLICY: 'new' }), store('redis'));
    expect(unguarded.cutOff('default')).toBe(false);
    unguarded.renewed('default', performance.now());
    jest.advanceTimersByTime(1_999);
    expect(unguarded.cutOff('default')).toBe(false);
    jest.advanceTimersByTime(1);
    expect(unguarded.cutOff('default')).toBe(true);
    expect(unguarded.allows('default', 3)).toBe(true);
    unguarded.renewed('default', performance.now());
    expect(unguarded.cutOff('default')).toBe(false);
    // revoke-previous has its own rule past the lease (evidence), the embedded store no Redis to lose.
    for (const [policy, kind] of [
      ['revoke-previous', 'redis'],
      ['new', 'memory'],
    ] as const) {
      const other = new ServingLease(unitConfig({ ...env, PROOF_TOKEN_POLICY: policy }), store(kind));
      other.renewed('default', performance.now());
      jest.advanceTimersByTime(5_000);
      expect(other.cutOff('default')).toBe(false);
    }
  });

  it('guards nothing under `new` or `reuse`, nor on the embedded store, but never serves a refused token again', () => {
    for (const [policy, kind] of [
      ['new', 'redis'],
      ['reuse', 'redis'],
      ['revoke-previous', 'memory'],
    ] as const) {
      const unguarded = new ServingLease(unitConfig({ ...env, PROOF_TOKEN_POLICY: policy }), store(kind));
      expect(unguarded.guards('default')).toBe(false);
      expect(unguarded.allows('default', 3)).toBe(true);
      unguarded.refuse('default', 3);
      expect(unguarded.allows('default', 3)).toBe(false);
      expect(unguarded.allows('default', 4)).toBe(true);
    }
  });
});
