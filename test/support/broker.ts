import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateCallerKey } from '../../apps/broker/src/auth/caller-key';
import type { Role } from '../../apps/broker/src/config/broker-config';
import { loadBrokerConfig } from '../../apps/broker/src/config/load-broker-config';
import { createBrokerApp } from '../../apps/broker/src/create-broker-app';
import type { LogOutput } from '../../apps/broker/src/logging/logging.module';
import { FAST_BROKER_TIMINGS } from '../../scripts/lib/fast-timings';
import { captureFile, recordEnvSecrets, recordMetrics, recordSecret, testSecret } from './leak-ledger';

/** The emulator application of every test broker (a fresh secret per spec file). */
export const TEST_APP = { id: 'app', secret: testSecret() };
/** TEST_APP as the emulator's EMULATOR_CLIENTS / `clients` option. */
export const TEST_CLIENTS = `${TEST_APP.id}:${TEST_APP.secret}`;

export interface TestCaller {
  readonly name: string;
  readonly roles: Role[];
  readonly profiles: string[];
}

/** Writes a callers file for `callers` and returns its path and each caller's key by name. */
export function writeCallersFile(callers: TestCaller[]): { path: string; keys: Record<string, string> } {
  const keys: Record<string, string> = {};
  const entries = callers.map((c) => {
    const { key, entry } = generateCallerKey(c.name, c.roles, c.profiles);
    keys[c.name] = key;
    recordSecret('caller-key', key);
    return entry;
  });
  const path = join(mkdtempSync(join(tmpdir(), 'broker-callers-')), 'callers.json');
  writeFileSync(path, JSON.stringify(entries));
  return { path, keys };
}

/** Fast timings for tests (shared with the soak), a short shutdown delay and a fixed key. */
export const FAST_TIMINGS: NodeJS.ProcessEnv = {
  ...FAST_BROKER_TIMINGS,
  BROKER_SHUTDOWN_DELAY_MS: '300',
  // A fixed test key (never used outside tests): tokens in Redis are always encrypted.
  BROKER_ENCRYPTION_KEYS: 'test-key-1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
};

/** The usual test broker: FAST_TIMINGS, the emulator's application TEST_APP, a callers file, and Redis if given. */
export function brokerEnv(parts: {
  emulator: { url: string };
  callers: { path: string };
  redis?: { url: string };
}): NodeJS.ProcessEnv {
  return {
    ...FAST_TIMINGS,
    ...(parts.redis ? { REDIS_URL: parts.redis.url } : {}),
    PROOF_BASE_URL: parts.emulator.url,
    PROOF_CLIENT_ID: 'app',
    PROOF_CLIENT_SECRET: TEST_APP.secret,
    BROKER_CALLERS_FILE: parts.callers.path,
  };
}

export interface InProcessBroker {
  readonly url: string;
  readonly app: NestFastifyApplication;
  close(): Promise<void>;
}

/**
 * Where an in-process broker logs: in a test run, a file the leak scan searches like any
 * child process's output; otherwise nowhere (jest's own output stays readable).
 */
export function inProcessLogs(name = 'broker-in-process'): LogOutput {
  const file = captureFile(name);
  return file ? { file } : 'silent';
}

/** Boots the real AppModule from `env` (through the real config loader) on a free port. */
export async function startBrokerInProcess(env: NodeJS.ProcessEnv): Promise<InProcessBroker> {
  recordEnvSecrets(env);
  const config = loadBrokerConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  const app = await createBrokerApp(config, { logs: inProcessLogs() });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    await recordMetrics(url, 'broker-in-process');
    await app.close();
  };
  return { url, app, close };
}
