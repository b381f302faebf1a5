import type { BrokerConfig, CallerConfig } from '../config/broker-config';
import { LiveConfig } from '../config/live-config.service';
import { ForbiddenError, UnauthenticatedError } from '../http/broker.errors';
import { bearerKey, CallerAuthenticator } from './caller-authenticator.service';
import { hashCallerKey } from './caller-key';

const entry = (name: string, keys: string[], profiles = ['*']): CallerConfig => ({
  name,
  keySha256: keys.map(hashCallerKey),
  roles: ['token:read'],
  profiles,
});

describe('CallerAuthenticator', () => {
  const live = (callers: CallerConfig[]) => new LiveConfig({ profiles: [], callers } as unknown as BrokerConfig);

  it('finds the caller by the SHA-256 of its key, for each of its keys', () => {
    const auth = new CallerAuthenticator(live([entry('a', ['key-a1', 'key-a2']), entry('b', ['key-b'])]));
    expect(auth.authenticate('Bearer key-a1').name).toBe('a');
    expect(auth.authenticate('Bearer key-a2').name).toBe('a');
    expect(auth.authenticate('Bearer key-b').name).toBe('b');
  });

  it.each([
    ['lowercase', 'bearer key-a1'],
    ['uppercase', 'BEARER key-a1'],
    ['mixed case', 'bEaReR key-a1'],
    ['several spaces (RFC 9110 §11.1: 1*SP)', 'Bearer    key-a1'],
  ])('accepts the scheme in %s', (_case, authorization) => {
    const auth = new CallerAuthenticator(live([entry('a', ['key-a1'])]));
    expect(auth.authenticate(authorization).name).toBe('a');
  });

  it.each([
    ['no header', undefined],
    ['an unknown key', 'Bearer key-c'],
    ['the stored hash itself', `Bearer ${hashCallerKey('key-a1')}`],
    ['another scheme', 'Basic key-a1'],
    ['a tab between scheme and key (not SP)', 'Bearer\tkey-a1'],
    ['no space between scheme and key', 'Bearerkey-a1'],
    ['a scheme that only starts like Bearer', 'Bearers key-a1'],
    ['a key with a trailing tab', 'Bearer key-a1\t'],
    ['a key with a space', 'Bearer key a1'],
    ['a key over 256 characters', `Bearer ${'k'.repeat(257)}`],
  ])('refuses %s with 401', (_case, authorization) => {
    const auth = new CallerAuthenticator(live([entry('a', ['key-a1', 'k'.repeat(257)])]));
    expect(() => auth.authenticate(authorization)).toThrow(UnauthenticatedError);
  });

  it('follows a reload of the callers list', () => {
    const config = live([entry('a', ['old-key'])]);
    const auth = new CallerAuthenticator(config);
    expect(auth.authenticate('Bearer old-key').name).toBe('a');
    config.replace({ profiles: [], callers: [entry('a', ['new-key'])] } as unknown as BrokerConfig);
    expect(auth.authenticate('Bearer new-key').name).toBe('a');
    expect(() => auth.authenticate('Bearer old-key')).toThrow(UnauthenticatedError);
  });

  it('authorizes by role and profile', () => {
    const auth = new CallerAuthenticator(live([entry('a', ['key-a'], ['alpha'])]));
    const caller = auth.authenticate('Bearer key-a');
    expect(() => auth.authorize(caller, 'token:read', 'alpha')).not.toThrow();
    expect(() => auth.authorize(caller, 'token:read', 'beta')).toThrow(ForbiddenError);
    expect(() => auth.authorize(caller, 'token:info', 'alpha')).toThrow(ForbiddenError);
  });

  it('reads the key exactly as /^bearer +([\x21-\x7e]{1,256})$/i does, on random and edge-case values', () => {
    const reference = (value: string) => /^bearer +([\x21-\x7e]{1,256})$/i.exec(value)?.[1];
    const pieces = [
      'Bearer',
      'bearer',
      'BEARER',
      'bEaReR',
      'Bearr',
      'Bearers',
      'beare',
      ' ',
      '  ',
      '\t',
      'k',
      'key-a1',
      '~',
      '!',
      '\x7f',
      '\x20',
      'é',
      '☃',
      '\x00',
      'k'.repeat(250),
    ];
    const values = [
      '',
      'Bearer',
      'Bearer ',
      'Bearer  ',
      'Bearer k',
      `Bearer ${'k'.repeat(256)}`,
      `Bearer ${'k'.repeat(257)}`,
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 5_000; n++) {
      const count = 1 + Math.floor(next() * 4);
      values.push(Array.from({ length: count }, () => pieces[Math.floor(next() * pieces.length)]).join(''));
    }
    for (const value of values) expect([value, bearerKey(value)]).toEqual([value, reference(value)]);
    expect(bearerKey(undefined)).toBeUndefined();
  });
});
