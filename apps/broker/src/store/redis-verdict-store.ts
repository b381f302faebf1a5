import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT, type RedisClient } from '../redis/redis.tokens';
import { rejectionVerdictKey } from './token-keys';
import { Verdict, VerdictState, VerdictStore } from './verdict-store';

const STATES: ReadonlySet<string> = new Set<VerdictState>(['checking', 'alive', 'dead', 'unknown']);

/** Verdicts as plain keys with a TTL in the profile's hash slot (`{broker:<profile>}:rejected:<fence>`). */
@Injectable()
export class RedisVerdictStore extends VerdictStore {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClient) {
    super();
  }

  async claim(profile: string, fence: number, ttlMs: number): Promise<boolean> {
    const key = rejectionVerdictKey(profile, fence);
    return (await this.redis.set(key, 'checking', 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK';
  }

  async read(profile: string, fence: number): Promise<VerdictState | undefined> {
    const value = await this.redis.get(rejectionVerdictKey(profile, fence));
    return value !== null && STATES.has(value) ? (value as VerdictState) : undefined;
  }

  async settle(profile: string, fence: number, verdict: Verdict, ttlMs: number): Promise<void> {
    await this.redis.set(rejectionVerdictKey(profile, fence), verdict, 'PX', Math.max(1, Math.round(ttlMs)));
  }
}
