import type { LoggerService } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.tokens';

/** Clients closed on purpose (`closeRedis`): never connected again. */
const closedOnPurpose = new WeakSet<RedisClient>();

/** Soon, but not in a tight loop should ioredis give up again at once. */
export const REVIVE_DELAY_MS = 200;

const STATUSES = ['connecting', 'connect', 'ready', 'close', 'reconnecting'] as const;

/**
 * ioredis 6 gives a Sentinel client up for good when its connector is disconnected while it
 * asks a sentinel for the primary: the connect rejects with "Connection is closed." and the
 * status goes from `connecting` straight to `end`, which no retry strategy ever leaves. Its
 * failover detector does exactly that on +switch-master when the client is between two
 * reconnect attempts to a primary that just died: the cause of the broker that stayed off
 * Redis after a failover (docs/RELIABILITY.md, "Sentinel failover"). An `end` that follows
 * `connecting` with no `close` in between, on a client not closed with `closeRedis`, is that
 * give-up: connect again.
 */
export function reviveWhenGivenUp(client: Redis, logger: LoggerService): void {
  let previous: string | undefined;
  for (const status of STATUSES) client.on(status, () => (previous = status));
  client.on('end', () => {
    if (previous !== 'connecting' || closedOnPurpose.has(client)) return;
    logger.warn('ioredis gave the connection up in the middle of a reconnect: connecting again');
    setTimeout(() => {
      if (client.status === 'end' && !closedOnPurpose.has(client)) client.connect().catch(() => undefined);
    }, REVIVE_DELAY_MS).unref();
  });
}

/** Closes a client for good (QUIT, or a disconnect if that fails): it is not revived. */
export async function closeRedis(client: RedisClient): Promise<void> {
  closedOnPurpose.add(client);
  await client.quit().catch(() => client.disconnect());
}
