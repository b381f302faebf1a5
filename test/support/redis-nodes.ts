import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';

/** Fails with the install command when a Redis binary the tests start is missing. */
export function assertRedisInstalled(what: string, binaries: readonly string[] = ['redis-server']): void {
  for (const binary of binaries) {
    try {
      execFileSync(binary, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        `${binary} was not found on PATH. ${what}: install Redis 7 with ` +
          '`apt-get install -y redis-server` (Debian/Ubuntu; it brings redis-cli too).',
      );
    }
  }
}

/** One client per node port, made on first use, all closed by `disconnectAll()`. */
export function redisNodeClients(): { node(port: number): Redis; disconnectAll(): void } {
  const clients = new Map<number, Redis>();
  return {
    node(port) {
      let client = clients.get(port);
      if (!client) {
        // Retries quickly so a client made before its server listens connects once it does.
        client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
        client.on('error', () => undefined);
        clients.set(port, client);
      }
      return client;
    },
    disconnectAll() {
      for (const client of clients.values()) client.disconnect();
      clients.clear();
    },
  };
}
