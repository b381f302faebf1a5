import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCallerKey } from '../apps/broker/src/auth/caller-key';
import { loadBrokerConfig } from '../apps/broker/src/config/load-broker-config';
import { createBrokerApp } from '../apps/broker/src/create-broker-app';
import { startEmulator } from '../apps/proof-emulator/src/start-emulator';

/**
 * `npm run demo`: the Proof emulator plus one broker on the embedded store (no Redis),
 * with a fresh caller key, and the curl commands to try it. Ctrl-C stops both.
 */
async function demo(): Promise<void> {
  const emulator = await startEmulator({ clients: 'demo-client:demo-secret', tokenTtlSeconds: 7200 });
  const { key, entry } = generateCallerKey('demo-caller', ['token:read', 'token:info'], ['default']);
  const callersFile = join(mkdtempSync(join(tmpdir(), 'broker-demo-')), 'callers.json');
  writeFileSync(callersFile, JSON.stringify([entry]));
  const config = loadBrokerConfig({
    PORT: process.env.PORT ?? '3000',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    PROOF_BASE_URL: emulator.url,
    PROOF_CLIENT_ID: 'demo-client',
    PROOF_CLIENT_SECRET: 'demo-secret',
    BROKER_CALLERS_FILE: callersFile,
  });
  const app = await createBrokerApp(config);
  await app.listen(config.port, config.host);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  for (let i = 0; i < 100 && (await fetch(`${url}/health/ready`)).status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.stdout.write(
    [
      '',
      `Proof token broker on ${url} (embedded store, no Redis; upstream: Proof emulator on ${emulator.url})`,
      '',
      'Get a token:',
      `  curl -s -H 'Authorization: Bearer ${key}' ${url}/token`,
      'Read its TTL without the token (ops dashboards):',
      `  curl -s -H 'Authorization: Bearer ${key}' ${url}/token/info`,
      '',
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    await app.close();
    await emulator.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

demo().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
