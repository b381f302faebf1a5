import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startProcess, ManagedProcess } from './child-process';
import { recordKeyspace } from './leak-ledger';
import { assertRedisInstalled } from './redis-nodes';
import { freePort } from './free-port';
import { waitUntil } from './wait';

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** A fresh client for assertions; closed by `stop()`. */
  client(): Redis;
  /** Kills the server (SIGKILL: nothing is saved). */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a private `redis-server` on a free port with persistence off, so every suite
 * gets an empty, unshared Redis. With REDIS_URL set, uses that instance instead (and
 * kill/restart are unavailable).
 */
export async function startRedis(): Promise<TestRedis> {
  const clients: Redis[] = [];
  const client = (url: string) => () => {
    const c = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };
  const closeClients = () => Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));

  const external = process.env.REDIS_URL;
  if (external) {
    const port = Number(new URL(external).port || 6379);
    const unsupported = () => Promise.reject(new Error('kill/restart need a private redis-server; unset REDIS_URL'));
    return {
      url: external,
      port,
      client: client(external),
      kill: unsupported,
      restart: unsupported,
      stop: async () => void (await closeClients()),
    };
  }

  assertRedisInstalled('The tests start their own Redis (or set REDIS_URL to a disposable instance)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'broker-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let server: ManagedProcess | undefined;
  const launch = async () => {
    server = startProcess('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ]);
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await waitUntil(`redis-server on port ${port}`, async () => {
        if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
        return (await probe.ping()) === 'PONG';
      });
    } finally {
      probe.disconnect();
    }
  };
  await launch();
  return {
    url,
    port,
    client: client(url),
    kill: async () => {
      await recordKeyspace(url, 'redis');
      await server?.stop('SIGKILL');
    },
    restart: async () => {
      await recordKeyspace(url, 'redis');
      await server?.stop('SIGKILL');
      await launch();
    },
    stop: async () => {
      await closeClients();
      await recordKeyspace(url, 'redis');
      await server?.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
