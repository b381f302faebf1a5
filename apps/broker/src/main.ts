import 'reflect-metadata';
// First: what the dependencies load but the broker never uses stays unloaded (RSS, issue 15).
import './lean-boot';
import { Logger } from '@nestjs/common';
import { ConfigValidationError } from './config/config.errors';
import { loadBrokerConfig } from './config/load-broker-config';
import { loadEnvFile } from './config/env-file';
import { createBrokerApp } from './create-broker-app';
import { installGracefulShutdown } from './graceful-shutdown';

// Until the reloader takes SIGHUP over (and after it lets go at shutdown), a SIGHUP must not
// do Node's default, which is to exit: an operator rotating secrets during a deploy would
// otherwise kill a replica that is booting or draining.
const ignoreSighup = () => undefined;
process.on('SIGHUP', ignoreSighup);

async function bootstrap(): Promise<void> {
  loadEnvFile();
  const config = loadBrokerConfig(process.env);
  // SIGHUP and changed files re-run the same loader on the same environment (ConfigReloader).
  const app = await createBrokerApp(config, { reload: () => loadBrokerConfig(process.env) });
  await app.listen(config.port, config.host);
  installGracefulShutdown(app, config.shutdownDelayMs);
  new Logger('Bootstrap').log(
    `token broker ${config.replicaId} listening on ${await app.getUrl()} (store: ${config.redis ? `redis ${config.redis.kind}` : 'memory'})`,
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
