import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError } from '../config/config.errors';
import { loadBrokerConfig } from '../config/load-broker-config';

const callers = join(mkdtempSync(join(tmpdir(), 'proxy-config-')), 'callers.json');
writeFileSync(
  callers,
  JSON.stringify([{ name: 'svc', keySha256: ['b'.repeat(64)], roles: ['proof:call'], profiles: ['*'] }]),
);
const minimal = { PROOF_CLIENT_ID: 'app', PROOF_CLIENT_SECRET: 'sekrit-value', BROKER_CALLERS_FILE: callers };

describe('proxy settings (BROKER_PROXY_*)', () => {
  it('come from the schema defaults, and a caller may hold proof:call', () => {
    expect(loadBrokerConfig(minimal).proxy).toEqual({
      maxConnections: 64,
      maxBodyBytes: 10 * 1024 * 1024,
      connectTimeoutMs: 5_000,
      headersTimeoutMs: 30_000,
      idleTimeoutMs: 30_000,
    });
    expect(loadBrokerConfig(minimal).callers[0].roles).toEqual(['proof:call']);
  });

  it('are read from the environment', () => {
    const config = loadBrokerConfig({
      ...minimal,
      BROKER_PROXY_MAX_CONNECTIONS: '8',
      BROKER_PROXY_MAX_BODY_BYTES: '1024',
      BROKER_PROXY_CONNECT_TIMEOUT_MS: '250',
      BROKER_PROXY_HEADERS_TIMEOUT_MS: '2000',
      BROKER_PROXY_IDLE_TIMEOUT_MS: '3000',
    });
    expect(config.proxy).toEqual({
      maxConnections: 8,
      maxBodyBytes: 1024,
      connectTimeoutMs: 250,
      headersTimeoutMs: 2_000,
      idleTimeoutMs: 3_000,
    });
  });

  it('stop the boot with every invalid one listed', () => {
    let problems: readonly string[] = [];
    try {
      loadBrokerConfig({
        ...minimal,
        BROKER_PROXY_MAX_CONNECTIONS: '0',
        BROKER_PROXY_MAX_BODY_BYTES: '-1',
        BROKER_PROXY_CONNECT_TIMEOUT_MS: 'soon',
        BROKER_PROXY_HEADERS_TIMEOUT_MS: '10',
        BROKER_PROXY_IDLE_TIMEOUT_MS: '1.5',
      });
    } catch (error) {
      if (error instanceof ConfigValidationError) problems = error.problems;
    }
    for (const name of [
      'BROKER_PROXY_MAX_CONNECTIONS',
      'BROKER_PROXY_MAX_BODY_BYTES',
      'BROKER_PROXY_CONNECT_TIMEOUT_MS',
      'BROKER_PROXY_HEADERS_TIMEOUT_MS',
      'BROKER_PROXY_IDLE_TIMEOUT_MS',
    ])
      expect(problems.some((p) => p.includes(name))).toBe(true);
  });
});
