import type { BrokerConfig, ProfileConfig } from '../config/broker-config';
import { compareConfigs } from './config-changes';

const profile = (name: string, extra: Partial<ProfileConfig> = {}): ProfileConfig => ({
  name,
  baseUrl: 'https://api.fairfax.proof.com',
  clientId: `${name}-app`,
  clientSecrets: ['s1'],
  tokenPolicy: 'new',
  ...extra,
});

const base = {
  port: 3000,
  host: '0.0.0.0',
  replicaId: 'r',
  shutdownDelayMs: 0,
  logLevel: 'log',
  accessLog: 'all',
  encryptionKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
  profiles: [profile('prod'), profile('sandbox')],
  callers: [{ name: 'svc', keySha256: ['a'.repeat(64)], roles: ['token:read'], profiles: ['*'] }],
  refresh: {},
} as unknown as BrokerConfig;

const next = (change: Partial<BrokerConfig>): BrokerConfig => ({ ...base, ...change });

describe('compareConfigs', () => {
  it('sees nothing in an equal config', () => {
    expect(compareConfigs(base, next({}))).toEqual({ reloadable: [], restartOnly: [] });
  });

  it('reloads client secrets and callers, naming neither secrets nor key hashes', () => {
    const changes = compareConfigs(
      base,
      next({
        profiles: [profile('prod', { clientSecrets: ['s2', 's1'] }), profile('sandbox')],
        callers: [
          ...base.callers,
          { name: 'new', keySha256: ['b'.repeat(64)], roles: ['token:info'], profiles: ['*'] },
        ],
      }),
    );
    expect(changes).toEqual({
      reloadable: ['profile prod: client secrets (2)', 'callers (2 callers, 2 keys; +new)'],
      restartOnly: [],
    });
  });

  it('lists every change only a restart can apply', () => {
    const changes = compareConfigs(
      base,
      next({
        profiles: [profile('prod', { clientId: 'x', scope: 'read', tokenPolicy: 'reuse' }), profile('staging')],
        encryptionKeys: [{ id: 'k1', key: Buffer.alloc(32, 2) }],
        port: 3001,
      }),
    );
    expect(changes.restartOnly).toEqual([
      'profile sandbox removed',
      'profile prod: clientId changed',
      'profile prod: scope changed',
      'profile prod: tokenPolicy changed',
      'profile staging added',
      'BROKER_ENCRYPTION_KEYS changed',
      'environment settings changed',
    ]);
  });
});
