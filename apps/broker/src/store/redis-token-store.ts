import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { RedisClient } from '../redis/redis.tokens';
import { randomBytes } from 'node:crypto';
import { TokenCipher } from '../crypto/token-cipher';
import { defineBrokerCommands } from './broker-commands';
import { REDIS_CLIENT, REDIS_SUBSCRIBER } from '../redis/redis.tokens';
import { keptUntil, type TokenRecord } from './token-record';
import { TOKEN_UPDATES_CHANNEL, tokenKeys } from './token-keys';
import { HandOverListener, LockLease, RefreshStatus, TokenEvent, TokenStore, TokenUpdateListener } from './token-store';

/** The only code that talks to Redis about tokens: records, the fenced lock, status, pub/sub. */
@Injectable()
export class RedisTokenStore extends TokenStore implements OnModuleInit {
  readonly kind = 'redis';

  get ready(): boolean {
    return this.redis.status === 'ready';
  }
  get unreachable(): boolean {
    return this.failedSinceReady && !this.ready;
  }
  /** A connection attempt failed, or the connection was lost, since the last `ready`. */
  private failedSinceReady = false;
  private readonly logger = new Logger(RedisTokenStore.name);
  private readonly listeners: TokenUpdateListener[] = [];
  private readonly handOverListeners: HandOverListener[] = [];

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: RedisClient,
    private readonly cipher: TokenCipher,
  ) {
    super();
    defineBrokerCommands(redis);
    // ioredis emits `error` for a connection attempt that failed, `close` for a lost connection.
    redis.on('error', () => (this.failedSinceReady = true));
    redis.on('close', () => (this.failedSinceReady = true));
    redis.on('ready', () => (this.failedSinceReady = false));
  }

  onModuleInit(): void {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== TOKEN_UPDATES_CHANNEL) return;
      try {
        const event = JSON.parse(message) as TokenEvent;
        for (const listener of this.listeners) listener(event);
      } catch {
        this.logger.warn('ignored a malformed token update message');
      }
    });
    // Queued by the subscriber connection until it is ready; re-sent by ioredis on reconnect.
    this.subscriber
      .subscribe(TOKEN_UPDATES_CHANNEL)
      .catch((error: Error) => this.logger.error(`subscribe failed: ${error.message}`));
  }

  async read(profile: string): Promise<TokenRecord | undefined> {
    const [fence, sealed, handOver, ended] = await this.redis.hmget(
      tokenKeys(profile).token,
      'fence',
      'record',
      'handover',
      'handover_ended',
    );
    // Same command as the record: whoever reads a token also learns that it is being revoked.
    const pending = handOver ? Number(handOver) : undefined;
    for (const listener of this.handOverListeners) listener(profile, pending, ended ? Number(ended) : undefined);
    if (!fence || !sealed) return undefined;
    try {
      return JSON.parse(this.cipher.open(sealed, `${profile}|${fence}`)) as TokenRecord;
    } catch (error) {
      // Tampered, written under a key we no longer have, or garbage: never served. The next
      // refresh (higher fence) replaces it.
      this.logger.warn(`profile ${profile}: ${(error as Error).message}`);
      return undefined;
    }
  }

  async acquireLock(profile: string, ttlMs: number, fenceFloor: number): Promise<LockLease | undefined> {
    const keys = tokenKeys(profile);
    const owner = randomBytes(16).toString('hex');
    const fence = await this.redis
      .brokerAcquireLock(keys.lock, keys.fence, keys.token, owner, ttlMs, fenceFloor)
      .catch((error: Error) => {
        // No answer (a timeout) is not "not taken": a paused or slow Redis runs the script when
        // it gets to it, and the lock would then be held by nobody for a lease, with no replica
        // refreshing. The release, sent now on the same connection, runs right after it.
        void this.redis.brokerReleaseLock(keys.lock, owner).catch(() => undefined);
        throw error;
      });
    return fence === null ? undefined : { profile, owner, fence: Number(fence) };
  }

  async releaseLock(lease: LockLease): Promise<boolean> {
    return (await this.redis.brokerReleaseLock(tokenKeys(lease.profile).lock, lease.owner)) === 1;
  }

  async holdLock(lease: LockLease, ttlMs: number): Promise<boolean> {
    return (
      (await this.redis.brokerHoldLock(tokenKeys(lease.profile).lock, lease.owner, Math.max(1, Math.round(ttlMs)))) ===
      1
    );
  }

  async write(record: TokenRecord): Promise<boolean> {
    const keys = tokenKeys(record.profile);
    // Useless past keptUntil (the expiry, or a reused token's refresh point): let Redis drop it
    // then (at least 1 ms: PEXPIRE 0 deletes).
    const ttlMs = Math.max(1, Math.ceil(keptUntil(record) - Date.now()));
    return (
      (await this.redis.brokerWriteToken(
        keys.token,
        keys.fence,
        record.fence,
        this.cipher.seal(JSON.stringify(record), `${record.profile}|${record.fence}`),
        ttlMs,
      )) === 1
    );
  }

  async readStatus(profile: string): Promise<RefreshStatus | undefined> {
    const json = await this.redis.get(tokenKeys(profile).status);
    return json ? (JSON.parse(json) as RefreshStatus) : undefined;
  }

  async writeStatus(profile: string, status: RefreshStatus): Promise<void> {
    await this.redis.set(tokenKeys(profile).status, JSON.stringify(status));
  }

  async publish(event: TokenEvent): Promise<void> {
    await this.redis.publish(TOKEN_UPDATES_CHANNEL, JSON.stringify(event));
  }

  onReconnect(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  onUpdate(listener: TokenUpdateListener): void {
    this.listeners.push(listener);
  }

  onHandOverSeen(listener: HandOverListener): void {
    this.handOverListeners.push(listener);
  }

  async heartbeat(profile: string, replica: string, ttlMs: number): Promise<void> {
    const keys = tokenKeys(profile);
    await this.redis.brokerHeartbeat(keys.replicas, keys.replicasSince, replica, Math.round(ttlMs));
  }

  async leave(profile: string, replica: string): Promise<void> {
    await this.redis.zrem(tokenKeys(profile).replicas, replica);
  }

  async beginHandOver(lease: LockLease, presenceTtlMs: number, recordTtlMs: number, replica: string): Promise<number> {
    return this.handOverScript(lease, presenceTtlMs, recordTtlMs, replica, '1');
  }

  async registryWait(lease: LockLease, presenceTtlMs: number): Promise<number> {
    return this.handOverScript(lease, presenceTtlMs, 1, '', '0');
  }

  private async handOverScript(
    lease: LockLease,
    presenceTtlMs: number,
    recordTtlMs: number,
    replica: string,
    record: '1' | '0',
  ): Promise<number> {
    const keys = tokenKeys(lease.profile);
    return Number(
      await this.redis.brokerBeginHandOver(
        keys.lock,
        keys.token,
        keys.acks,
        keys.replicasSince,
        lease.owner,
        lease.fence,
        Math.round(presenceTtlMs),
        Math.max(1, Math.round(recordTtlMs)),
        replica,
        record,
      ),
    );
  }

  async acknowledgeHandOver(profile: string, fence: number, replica: string, ttlMs: number): Promise<void> {
    const keys = tokenKeys(profile);
    await this.redis.brokerAckHandOver(keys.token, keys.acks, fence, replica, Math.round(ttlMs));
  }

  async unacknowledged(profile: string, fence: number, holder: string): Promise<string[]> {
    const keys = tokenKeys(profile);
    return this.redis.brokerUnacknowledged(keys.replicas, keys.acks, fence, holder);
  }

  async endHandOver(profile: string, fence: number): Promise<boolean> {
    return (await this.redis.brokerEndHandOver(tokenKeys(profile).token, fence)) === 1;
  }
}
