import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BrokerEnv } from '../../../apps/broker/src/config/broker-env.schema';
import { startEmulator, StartedEmulator } from '../../../apps/proof-emulator/src/start-emulator';
import type { TokenRecord } from '../../../apps/broker/src/store/token-record';
import { FAST_TIMINGS, writeCallersFile } from '../../support/broker';
import { BrokerProcess, startBrokerProcess } from '../../support/broker-process';
import { emulatorAdmin } from '../../support/emulator-admin';
import { FaultMode, FaultProxy, startFaultProxy } from '../../support/fault-proxy';
import { startRedis, TestRedis } from '../../support/redis-server';
import { waitForHttp } from '../../support/wait';
import { StoredRecordReader } from './stored-record';
import { presenceTtlMs } from '../../../apps/broker/src/token/refresh-policy';
import { TEST_APP, TEST_CLIENTS } from '../../support/broker';

export type Policy = 'new' | 'reuse' | 'revoke-previous';

/**
 * Timings of every fault scenario. A token lives 20 s and is due for refresh at a fifth of
 * its life (4 s, replicas wake from 3 s): a refresh falls inside every fault, while the
 * token keeps 15 s of servable life after its refresh point, longer than any fault here.
 */
export const TIMINGS = {
  tokenTtlMs: 20_000,
  refreshAtFraction: 0.2,
  jitterFraction: 0.05,
  lockTtlMs: Number(FAST_TIMINGS.BROKER_LOCK_TTL_MS),
  /** The lock's lease, renewed while its holder works: the shipped default (FAST_TIMINGS leaves it). */
  lockLeaseMs: new BrokerEnv().BROKER_LOCK_LEASE_MS,
  upstreamTimeoutMs: Number(FAST_TIMINGS.BROKER_UPSTREAM_TIMEOUT_MS),
  /** How long a caller waits for a servable token before a 503. */
  coldWaitMs: Number(FAST_TIMINGS.BROKER_COLD_WAIT_MS),
  /** revoke-previous, past a replica's presence lease: at most one token/info check per this period. */
  leaseCheckIntervalMs: 1_000,
  /** A replica keeps serving this long after SIGTERM (readiness red) before it closes. */
  shutdownDelayMs: 1_000,
} as const;

export const PROFILE = 'default';
export const TOKEN_KEY = `{broker:${PROFILE}}:token`;
export const LOCK_KEY = `{broker:${PROFILE}}:lock`;

export interface Replica extends BrokerProcess {
  /** The replica's own proxy to the emulator: tells which replica is talking to Proof. */
  readonly proofProxy: FaultProxy;
  /** The replica's own proxy to Redis: a fault for this replica alone (its write held). */
  readonly redisProxy: FaultProxy;
}

/** The part of GET /token/info the suite reads. */
export interface ReplicaInfo {
  readonly fence: number | null;
  readonly servable: boolean;
}

/**
 * redis-server and the emulator (in-process, admin on), and broker replicas as child
 * processes, each reaching Redis and Proof through its own fault proxy: a fault on every
 * proxy is a Redis or Proof fault, a fault on one is that replica's. The test reads Redis
 * through its own direct client.
 */
export class FaultCluster {
  readonly replicas: Replica[] = [];
  /** Every replica ever started, by URL, for reports (replicas leave `replicas` when stopped). */
  private readonly names = new Map<string, string>();
  private readonly proxies = new Set<FaultProxy>();
  private readonly direct: Redis;
  private readonly records = new StoredRecordReader(FAST_TIMINGS.BROKER_ENCRYPTION_KEYS);
  private counter = 0;

  private constructor(
    readonly policy: Policy,
    readonly redis: TestRedis,
    readonly emulator: StartedEmulator,
    readonly key: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    // Fails fast while Redis is down (the samplers ignore those errors) and reconnects quickly.
    this.direct = new Redis(redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 100,
    });
    this.direct.on('error', () => undefined);
  }

  /** `overrides`: broker variables for this cluster on top of the suite's timings. */
  static async start(policy: Policy, replicas = 3, overrides: NodeJS.ProcessEnv = {}): Promise<FaultCluster> {
    const redis = await startRedis();
    const emulator = await startEmulator({
      admin: true,
      tokenTtlSeconds: TIMINGS.tokenTtlMs / 1000,
      tokenPolicy: policy,
      clients: TEST_CLIENTS,
    });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read', 'token:info'], profiles: ['*'] }]);
    const env = {
      ...FAST_TIMINGS,
      PROOF_CLIENT_ID: 'app',
      PROOF_CLIENT_SECRET: TEST_APP.secret,
      PROOF_TOKEN_POLICY: policy,
      BROKER_CALLERS_FILE: callers.path,
      BROKER_REFRESH_AT_FRACTION: String(TIMINGS.refreshAtFraction),
      BROKER_REFRESH_JITTER_FRACTION: String(TIMINGS.jitterFraction),
      BROKER_SHUTDOWN_DELAY_MS: String(TIMINGS.shutdownDelayMs),
      BROKER_LEASE_CHECK_INTERVAL_MS: String(TIMINGS.leaseCheckIntervalMs),
      LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn',
      ...overrides,
    };
    const cluster = new FaultCluster(policy, redis, emulator, callers.keys.svc, env);
    try {
      await Promise.all(Array.from({ length: replicas }, () => cluster.startReplica()));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get admin() {
    return emulatorAdmin(this.emulator.url);
  }

  /** Starts one more replica and resolves once it is ready (holds a servable token). */
  async startReplica(): Promise<Replica> {
    this.counter += 1;
    const name = `r${this.counter}`;
    const proofProxy = await this.proxy(this.emulator.port);
    const redisProxy = await this.proxy(this.redis.port);
    const broker = await startBrokerProcess(name, {
      ...this.env,
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      PROOF_BASE_URL: `http://127.0.0.1:${proofProxy.port}`,
    });
    const replica = { ...broker, proofProxy, redisProxy };
    this.replicas.push(replica);
    this.names.set(broker.url, name);
    // Under revoke-previous, a fleet on a fresh Redis gets its first token only once the replica
    // registry is a presence TTL old (15 s at the shipped reconcile interval): a boot allows that too.
    const reconcileMs = Number(this.env.BROKER_RECONCILE_INTERVAL_MS ?? new BrokerEnv().BROKER_RECONCILE_INTERVAL_MS);
    await waitForHttp(`${broker.url}/health/ready`, 200, 15_000 + presenceTtlMs(reconcileMs));
    return replica;
  }

  nameOf(url: string): string {
    return this.names.get(url) ?? url;
  }

  /** Forgets a replica the test stopped or killed, and closes its proxies. */
  async forget(replica: Replica): Promise<void> {
    this.replicas.splice(this.replicas.indexOf(replica), 1);
    for (const proxy of [replica.proofProxy, replica.redisProxy]) {
      this.proxies.delete(proxy);
      await proxy.close();
    }
  }

  /** The same fault between every replica and Redis. */
  setRedisMode(mode: FaultMode): void {
    for (const r of this.replicas) r.redisProxy.setMode(mode);
  }

  /** The same fault between every replica and Proof. */
  setProofMode(mode: FaultMode): void {
    for (const r of this.replicas) r.proofProxy.setMode(mode);
  }

  /** The stored record, read directly from Redis; undefined when Redis is down or empty. */
  async record(): Promise<TokenRecord | undefined> {
    try {
      const [fence, stored] = await this.direct.hmget(TOKEN_KEY, 'fence', 'record');
      return this.records.read(PROFILE, fence, stored);
    } catch {
      return undefined;
    }
  }

  /** `HGET {broker:default}:token fence`, or undefined when Redis is down or empty. */
  async storedFence(): Promise<number | undefined> {
    try {
      const fence = await this.direct.hget(TOKEN_KEY, 'fence');
      return fence === null ? undefined : Number(fence);
    } catch {
      return undefined;
    }
  }

  /** PTTL of the refresh lock: ms it is still held, or undefined when free or unreadable. */
  async lockPttl(): Promise<number | undefined> {
    const pttl = await this.direct.pttl(LOCK_KEY).catch(() => -2);
    return pttl >= 0 ? pttl : undefined;
  }

  async info(replica: Replica): Promise<ReplicaInfo> {
    const response = await fetch(`${replica.url}/token/info`, {
      headers: { authorization: `Bearer ${this.key}` },
      signal: AbortSignal.timeout(5_000),
    });
    return (await response.json()) as ReplicaInfo;
  }

  async close(): Promise<void> {
    for (const r of this.replicas) r.process.child.kill('SIGCONT');
    // FAULT_DUMP_DIR=dir keeps each replica's log (with FAULT_LOG_LEVEL=log: hand-overs, leases) to place a failure.
    const dumpDir = process.env.FAULT_DUMP_DIR;
    if (dumpDir)
      for (const r of this.replicas) writeFileSync(join(dumpDir, `${r.name}-${Date.now()}.log`), r.process.output());
    await Promise.all(this.replicas.map((r) => r.process.stop('SIGTERM', 5_000)));
    await Promise.all([...this.proxies].map((p) => p.close()));
    this.direct.disconnect();
    await this.emulator.close();
    await this.redis.stop();
  }

  private async proxy(port: number): Promise<FaultProxy> {
    const proxy = await startFaultProxy(port);
    this.proxies.add(proxy);
    return proxy;
  }
}
