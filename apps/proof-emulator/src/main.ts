import 'reflect-metadata';
import { parseEmulatorConfig } from './config/emulator-config';
import { loadEnvFile } from './config/env-file';
import { startEmulator } from './start-emulator';

async function main(): Promise<void> {
  loadEnvFile();
  const config = parseEmulatorConfig(process.env);
  const emulator = await startEmulator({ ...config, logger: ['error', 'warn'] });
  const admin = config.admin ? 'on' : 'off';
  // The one startup line; the tests and compose wait for it. Never prints secrets.
  process.stdout.write(
    `proof-emulator listening on ${emulator.url} (policy=${config.tokenPolicy}, ttl=${config.tokenTtlSeconds}s, admin=${admin})\n`,
  );
  const shutdown = (): void => {
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => fail(error),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

function fail(error: unknown): void {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

main().catch(fail);
