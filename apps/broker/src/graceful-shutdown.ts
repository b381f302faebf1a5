import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { Lifecycle } from './health/lifecycle.service';

/**
 * SIGTERM/SIGINT: readiness turns red at once; after `delayMs` (for the load balancer to
 * notice) the server stops accepting, in-flight requests finish, shutdown hooks run (jobs
 * stop, a lock held by a running refresh is released, Redis closes) and the process exits 0.
 * Not enableShutdownHooks(): it re-raises the signal after closing, so the status would be 143.
 */
export function installGracefulShutdown(app: INestApplication, delayMs: number): void {
  const logger = new Logger('Shutdown');
  const shutdown = (signal: string) => {
    logger.log(`${signal}: readiness red, closing in ${delayMs} ms`);
    app.get(Lifecycle).startDraining();
    setTimeout(() => {
      app.close().then(
        () => process.exit(0),
        (error: Error) => {
          logger.error(`shutdown failed: ${error.name}`);
          process.exit(1);
        },
      );
    }, delayMs);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
