import type { BrokerConfig, CallerConfig } from '../config/broker-config';
import { LiveConfig } from '../config/live-config.service';
import { ForbiddenError, UnauthenticatedError } from '../http/broker.errors';
import { CallerAuthenticator } from './caller-authenticator.service';
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
});
