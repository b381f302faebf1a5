import { HealthIndicatorService } from '@nestjs/terminus';
import type { BrokerConfig } from '../config/broker-config';
import type { ProfileResolver } from '../profiles/profile-resolver';
import type { TokenStore } from '../store/token-store';
import type { TokenSource } from '../token/serve/token-source.service';
import { Lifecycle } from './lifecycle.service';
import { TokenHealthIndicator } from './token.health';

/** Fakes for pure logic: which profiles have a servable token in memory, and how the store answers. */
function indicator(store: { unreachable?: boolean; read?: () => Promise<unknown> } = {}) {
  const servable = new Set<string>();
  const reads: string[] = [];
  const names = ['a', 'b'];
  const profiles = { all: () => names.map((name) => ({ name })) } as unknown as ProfileResolver;
  const tokens = {
    canServe: (name: string) => servable.has(name),
    onEvidence: () => false,
  } as unknown as TokenSource;
  const fakeStore = {
    unreachable: store.unreachable ?? false,
    read: (profile: string) => {
      reads.push(profile);
      return store.read ? store.read() : Promise.resolve(undefined);
    },
  } as unknown as TokenStore;
  const config = { refresh: { coldWaitMs: 4_000 } } as unknown as BrokerConfig;
  const lifecycle = new Lifecycle();
  const health = new TokenHealthIndicator(config, new HealthIndicatorService(), profiles, tokens, fakeStore, lifecycle);
  return { health, servable, reads, lifecycle, names };
}

describe('TokenHealthIndicator', () => {
  it('is red while booting: a profile has never had a servable token since start', async () => {
    const { health, servable, reads } = indicator();
    servable.add('a');
    expect(await health.servable()).toMatchObject({ tokens: { status: 'down', booting: ['b'] } });
    expect(reads).toEqual([]);
  });

  it('stays green when a profile lacks a token while the store answers (it lacks one everywhere)', async () => {
    const { health, servable, reads } = indicator();
    servable.add('a').add('b');
    expect(await health.servable()).toMatchObject({ tokens: { status: 'up', profiles: 2 } });
    servable.delete('b');
    expect(await health.servable()).toMatchObject({ tokens: { status: 'up', without_servable_token: ['b'] } });
    expect(reads).toEqual(['b']);
  });

  it('turns red when a profile lacks a token and the store is unreachable from this replica', async () => {
    const { health, servable } = indicator({ unreachable: true });
    servable.add('a').add('b');
    await health.servable();
    servable.delete('a');
    expect(await health.servable()).toMatchObject({ tokens: { status: 'down', store: 'not answering' } });
  });

  it('turns red when the store does not answer within the probe budget (cut off), or fails', async () => {
    const never = indicator({ read: () => new Promise(() => undefined) });
    never.servable.add('a').add('b');
    await never.health.servable();
    never.servable.delete('b');
    const started = Date.now();
    expect(await never.health.servable()).toMatchObject({ tokens: { status: 'down' } });
    expect(Date.now() - started).toBeLessThan(3_000);

    const failing = indicator({ read: () => Promise.reject(new Error('READONLY')) });
    failing.servable.add('a').add('b');
    await failing.health.servable();
    failing.servable.delete('b');
    expect(await failing.health.servable()).toMatchObject({ tokens: { status: 'down' } });
  });

  it('does not count a profile added by a reload after boot as booting', async () => {
    const { health, servable, names } = indicator();
    servable.add('a').add('b');
    await health.servable();
    names.push('c');
    expect(await health.servable()).toMatchObject({ tokens: { status: 'up', without_servable_token: ['c'] } });
  });

  it('is red while draining, whatever the tokens, without waiting for the store', async () => {
    const { health, lifecycle, servable, reads } = indicator({ read: () => new Promise(() => undefined) });
    expect(health.accepting()).toMatchObject({ lifecycle: { status: 'up' } });
    servable.add('a').add('b');
    await health.servable();
    servable.delete('b');
    lifecycle.startDraining();
    expect(health.accepting()).toMatchObject({ lifecycle: { status: 'down' } });
    const started = Date.now();
    expect(await health.servable()).toMatchObject({ tokens: { status: 'down' } });
    expect(Date.now() - started).toBeLessThan(400);
    expect(reads).toEqual([]);
  });
});
