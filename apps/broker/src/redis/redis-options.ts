import type { RedisOptions } from 'ioredis';

/** A sentinel answers from memory: one that takes longer is skipped for the next one. */
export const SENTINEL_COMMAND_TIMEOUT_MS = 1_000;

/** Jittered so replicas do not reconnect in lockstep after a Redis restart; at most 2 s. */
export const reconnectDelayMs = (attempt: number): number =>
  Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);

/**
 * Fail fast instead of hanging: the broker serves tokens from memory, so a Redis command
 * that cannot complete quickly is better failed and retried by the next scheduler tick.
 */
export function redisOptions(connectionName: string): RedisOptions {
  return {
    connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 3_000,
    keepAlive: 10_000,
    retryStrategy: reconnectDelayMs,
    // After a failover the old primary answers READONLY: reconnect to find the new one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  };
}
