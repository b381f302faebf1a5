import type { Result } from 'ioredis';
import type { RedisClient } from '../redis/redis.tokens';
import {
  ACK_HANDOVER,
  ACQUIRE_LOCK,
  BEGIN_HANDOVER,
  END_HANDOVER,
  HEARTBEAT,
  HOLD_LOCK,
  RELEASE_LOCK,
  UNACKNOWLEDGED,
  WRITE_TOKEN,
} from './lock-scripts';

// The broker's Lua commands on every ioredis client, typed through ioredis' own command
// augmentation (RedisCommander): keys first, then arguments, as each script reads them.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    brokerAcquireLock(
      lock: string,
      fence: string,
      token: string,
      owner: string,
      ttlMs: number,
      floor: number,
    ): Result<number | null, Context>;
    brokerReleaseLock(lock: string, owner: string): Result<number, Context>;
    brokerHoldLock(lock: string, owner: string, ttlMs: number): Result<number, Context>;
    brokerWriteToken(
      token: string,
      fence: string,
      fenceValue: number,
      record: string,
      ttlMs: number,
    ): Result<number, Context>;
    brokerHeartbeat(replicas: string, since: string, replica: string, ttlMs: number): Result<number, Context>;
    brokerBeginHandOver(
      lock: string,
      token: string,
      acks: string,
      since: string,
      owner: string,
      fence: number,
      presenceTtlMs: number,
      recordTtlMs: number,
      replica: string,
      record: '1' | '0',
    ): Result<number, Context>;
    brokerAckHandOver(
      token: string,
      acks: string,
      fence: number,
      replica: string,
      ttlMs: number,
    ): Result<number, Context>;
    brokerUnacknowledged(replicas: string, acks: string, fence: number, holder: string): Result<string[], Context>;
    brokerEndHandOver(token: string, fence: number): Result<number, Context>;
  }
}

/** Defines the commands declared above on `redis` (RedisTokenStore's connection). */
export function defineBrokerCommands(redis: RedisClient): void {
  redis.defineCommand('brokerAcquireLock', { numberOfKeys: 3, lua: ACQUIRE_LOCK });
  redis.defineCommand('brokerReleaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
  redis.defineCommand('brokerHoldLock', { numberOfKeys: 1, lua: HOLD_LOCK });
  redis.defineCommand('brokerWriteToken', { numberOfKeys: 2, lua: WRITE_TOKEN });
  redis.defineCommand('brokerHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
  redis.defineCommand('brokerBeginHandOver', { numberOfKeys: 4, lua: BEGIN_HANDOVER });
  redis.defineCommand('brokerAckHandOver', { numberOfKeys: 2, lua: ACK_HANDOVER });
  redis.defineCommand('brokerUnacknowledged', { numberOfKeys: 2, lua: UNACKNOWLEDGED });
  redis.defineCommand('brokerEndHandOver', { numberOfKeys: 1, lua: END_HANDOVER });
}
