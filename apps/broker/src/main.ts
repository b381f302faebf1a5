import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigValidationError } from './config/config.errors';
import { loadBrokerConfig } from './config/load-broker-config';
import { createBrokerApp } from './create-broker-app';

async function bootstrap(): Promise<void> {
  const config = loadBrokerConfig(process.env);
  const app = await createBrokerApp(config);
  await app.listen(config.port, config.host);
  // Not enableShutdownHooks(): it re-raises the signal after closing, so the exit status
  // would be 143 instead of 0. Closing runs every onApplicationShutdown hook (Redis, jobs).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  new Logger('Bootstrap').log(
    `token broker ${config.replicaId} listening on ${await app.getUrl()} (store: ${config.redisUrl ? 'redis' : 'memory'})`,
  );
}

bootstrap().catch((error: unknown) => {
  // Config problems are listed one per line; anything else is reported by name only.
  const message =
    error instanceof ConfigValidationError
      ? error.message
      : `boot failed: ${(error as Error).name}: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
