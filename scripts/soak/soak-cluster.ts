import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCallerKey } from '../../apps/broker/src/auth/caller-key';
import { BROKER_NODE_FLAGS } from '../lib/broker-node-flags';
import { emulatorAdmin } from '../lib/emulator-admin';
import { FAST_BROKER_TIMINGS } from '../lib/fast-timings';
import { FaultMode, FaultProxy, startFaultProxy } from '../lib/fault-proxy';
import { freePorts } from '../lib/free-port';
import { Haproxy, startHaproxy } from '../lib/haproxy';
import { ManagedProcess, startManagedProcess } from '../lib/managed-process';
import { answers, waitUntil } from '../lib/wait-until';
import { SoakRedis } from './soak-redis';

export type TokenPolicy = 'new' | 'reuse' | 'revoke-previous';

/** Short tokens, so that a soak of minutes sees many refreshes; the lock outlives the deadline twice. */
export const SOAK_TIMINGS = {
  tokenTtlSeconds: 24,
  refreshAtFraction: 0.5,
  jitterFraction: 0.05,
  coldWaitMs: 4_000,
  env: {
    ...FAST_BROKER_TIMINGS,
    // HAProxy takes a replica out of rotation 0.5-1 s after its readiness turns red.
    BROKER_SHUTDOWN_DELAY_MS: '1500',
    BROKER_REFRESH_AT_FRACTION: '0.5',
    BROKER_REFRESH_JITTER_FRACTION: '0.05',
    // SOAK_LOG_LEVEL=log: the brokers' info lines too (refreshes, hand-overs, write-backs), with --verbose.
    LOG_LEVEL: process.env.SOAK_LOG_LEVEL ?? 'warn',
  },
} as const;

/** One broker profile per token policy, each with its own emulator (Doorkeeper's policy is server-wide). */
export const POLICIES: readonly TokenPolicy[] = ['new', 'reuse', 'revoke-previous'];
const CLIENT_ID = 'soak-app';

export interface SoakProfile {
  /** The profile is named after its emulator's token policy. */
  readonly name: TokenPolicy;
  readonly emulatorUrl: string;
  readonly admin: ReturnType<typeof emulatorAdmin>;
}
const BOOT_TIMEOUT_MS = 90_000;
const REPLICAS = 3;

export interface SoakReplica {
  readonly name: string;
  readonly url: string;
  /** This replica's own path to Redis: a fault here is this replica's alone. */
  readonly redisProxy: FaultProxy;
  process?: ManagedProcess;
  /** Ready since its start and not signalled since (a booting node dies of SIGHUP). */
  ready: boolean;
}

export interface SoakPaths {
  readonly brokerMain: string;
  readonly emulatorMain: string;
}

/**
 * redis-server, one emulator per token policy (admin on, short tokens) and 3 broker
 * replicas with one profile per emulator, behind HAProxy; each replica reaches Redis through
 * its own fault proxy. Every part is a real process that the soak can kill, stop, restart or
 * cut off.
 */
export class SoakCluster {
  readonly replicas: SoakReplica[] = [];
  readonly profiles: SoakProfile[];
  readonly keys: { readonly svc: string; readonly ops: string };
  readonly secrets: { readonly clientSecret: string; readonly encryptionKey: string };
  readonly redis: SoakRedis;
  private readonly emulators: ManagedProcess[] = [];
  private haproxy?: Haproxy;
  private readonly callersFile: string;
  private readonly profilesFile: string;

  private constructor(
    private readonly paths: SoakPaths,
    private readonly dir: string,
    private readonly ports: { redis: number; haproxy: number; emulators: number[] },
    private readonly failOpen: boolean,
    private readonly onLine?: (source: string, line: string) => void,
  ) {
    const svc = generateCallerKey('soak-svc', ['token:read', 'token:info', 'proof:call'], ['*']);
    const ops = generateCallerKey('soak-ops', ['admin'], ['*']);
    this.keys = { svc: svc.key, ops: ops.key };
    this.callersFile = join(dir, 'callers.json');
    writeFileSync(this.callersFile, JSON.stringify([svc.entry, ops.entry]), { mode: 0o600 });
    this.secrets = {
      clientSecret: randomBytes(24).toString('base64url'),
      encryptionKey: randomBytes(32).toString('base64'),
    };
    this.profiles = POLICIES.map((name, i) => {
      const emulatorUrl = `http://127.0.0.1:${ports.emulators[i]}`;
      return { name, emulatorUrl, admin: emulatorAdmin(emulatorUrl) };
    });
    this.profilesFile = join(dir, 'profiles.json');
    const profiles = this.profiles.map((p) => ({
      name: p.name,
      baseUrl: p.emulatorUrl,
      clientId: CLIENT_ID,
      clientSecret: this.secrets.clientSecret,
      tokenPolicy: p.name,
    }));
    writeFileSync(this.profilesFile, JSON.stringify(profiles), { mode: 0o600 });
    this.redis = new SoakRedis(ports.redis, dir, this.line('redis'));
  }

  static async start(
    paths: SoakPaths,
    failOpen: boolean,
    onLine?: (source: string, line: string) => void,
  ): Promise<SoakCluster> {
    const [redis, haproxy, ...rest] = await freePorts(2 + POLICIES.length + REPLICAS);
    const ports = { redis, haproxy, emulators: rest.slice(0, POLICIES.length) };
    const cluster = new SoakCluster(paths, mkdtempSync(join(tmpdir(), 'broker-soak-')), ports, failOpen, onLine);
    try {
      await cluster.boot(rest.slice(POLICIES.length));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get url(): string {
    return `http://127.0.0.1:${this.ports.haproxy}`;
  }

  private async boot(replicaPorts: number[]): Promise<void> {
    await this.redis.start();
    for (const [i, profile] of this.profiles.entries()) {
      this.emulators.push(
        startManagedProcess(`emulator-${profile.name}`, process.execPath, [this.paths.emulatorMain], {
          env: {
            EMULATOR_ADMIN: 'on',
            EMULATOR_HOST: '127.0.0.1',
            EMULATOR_PORT: String(this.ports.emulators[i]),
            EMULATOR_CLIENTS: `${CLIENT_ID}:${this.secrets.clientSecret}`,
            EMULATOR_TOKEN_TTL_SECONDS: String(SOAK_TIMINGS.tokenTtlSeconds),
            EMULATOR_TOKEN_POLICY: profile.name,
          },
          onLine: this.line(`emulator-${profile.name}`),
        }),
      );
    }
    for (const [i, profile] of this.profiles.entries()) {
      const child = this.emulators[i];
      await waitUntil(
        `the ${profile.name} emulator`,
        () => answers(`${profile.emulatorUrl}/oauth/v2/token/info`, 401),
        {
          timeoutMs: BOOT_TIMEOUT_MS,
          abort: () => (child.child.exitCode !== null ? `exited:\n${child.output().slice(-2_000)}` : undefined),
        },
      );
    }
    for (const [i, port] of replicaPorts.entries()) {
      const redisProxy = await startFaultProxy(this.ports.redis);
      this.replicas.push({ name: `broker${i + 1}`, url: `http://127.0.0.1:${port}`, redisProxy, ready: false });
    }
    await Promise.all(this.replicas.map((r) => this.startReplica(r)));
    this.haproxy = await startHaproxy(
      this.dir,
      {
        port: this.ports.haproxy,
        servers: this.replicas.map((r) => ({ name: r.name, port: Number(new URL(r.url).port) })),
        failOpen: this.failOpen,
      },
      this.line('haproxy'),
    );
    await this.waitAllInRotation();
  }

  async startReplica(replica: SoakReplica): Promise<void> {
    if (replica.process && replica.process.child.exitCode === null && replica.process.child.signalCode === null)
      throw new Error(`${replica.name} is still running`);
    replica.process = startManagedProcess(
      replica.name,
      process.execPath,
      [...BROKER_NODE_FLAGS, this.paths.brokerMain],
      {
        env: {
          ...SOAK_TIMINGS.env,
          PORT: new URL(replica.url).port,
          HOST: '127.0.0.1',
          BROKER_REPLICA_ID: replica.name,
          BROKER_TRUSTED_PROXIES: 'loopback',
          REDIS_URL: `redis://127.0.0.1:${replica.redisProxy.port}`,
          BROKER_ENCRYPTION_KEYS: `soak:${this.secrets.encryptionKey}`,
          BROKER_PROFILES_FILE: this.profilesFile,
          BROKER_CALLERS_FILE: this.callersFile,
        },
        onLine: this.line(replica.name),
      },
    );
    const child = replica.process;
    await waitUntil(`${replica.name} to be ready`, () => answers(`${replica.url}/health/ready`), {
      timeoutMs: BOOT_TIMEOUT_MS,
      abort: () =>
        child.child.exitCode !== null ? `${replica.name} exited:\n${child.output().slice(-2_000)}` : undefined,
    });
    replica.ready = true;
  }

  /** Signals a replica; for SIGTERM and SIGKILL, resolves once it has exited. */
  async stopReplica(replica: SoakReplica, signal: NodeJS.Signals): Promise<void> {
    const child = replica.process;
    if (!child) return;
    replica.ready = signal === 'SIGCONT' || signal === 'SIGHUP';
    if (signal === 'SIGSTOP' || signal === 'SIGCONT' || signal === 'SIGHUP') {
      child.child.kill(signal);
      return;
    }
    child.child.kill('SIGCONT');
    await child.stop(signal, 10_000);
  }

  async waitAllInRotation(timeoutMs = BOOT_TIMEOUT_MS): Promise<void> {
    const haproxy = this.haproxy;
    if (!haproxy) return;
    // The `-open` backups of a fail-open config are never checked: only the replicas count.
    const allUp = async () => {
      const states = await haproxy.servers();
      return this.replicas.every((r) => states.get(r.name)?.status === 'UP');
    };
    try {
      await waitUntil('every replica UP in haproxy', allUp, { timeoutMs });
    } catch (error) {
      // Say why: each replica's own readiness report.
      const reports = await Promise.all(this.replicas.map((r) => this.readiness(r)));
      throw new Error(`${(error as Error).message}; readiness: ${reports.join('; ')}`);
    }
  }

  private async readiness(replica: SoakReplica): Promise<string> {
    try {
      const response = await fetch(`${replica.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      return `${replica.name} ${response.status} ${JSON.stringify(((await response.json()) as { details?: unknown }).details)}`;
    } catch (error) {
      return `${replica.name} no answer (${(error as Error).message})`;
    }
  }

  /** Replicas up and not signalled: those a fault may kill, stop or reload. */
  readyReplicas(): SoakReplica[] {
    return this.replicas.filter((r) => r.ready);
  }

  setRedisMode(mode: FaultMode, only?: SoakReplica): void {
    for (const r of only ? [only] : this.replicas) r.redisProxy.setMode(mode);
  }

  /** Rewrites the callers file (same callers, new order of fields) and sends SIGHUP to one replica. */
  reloadConfig(replica: SoakReplica): void {
    if (!replica.ready) return;
    writeFileSync(this.callersFile, JSON.stringify(JSON.parse(readFileSync(this.callersFile, 'utf8')), null, 1), {
      mode: 0o600,
    });
    replica.process?.child.kill('SIGHUP');
  }

  output(name: string): string {
    return this.replicas.find((r) => r.name === name)?.process?.output() ?? '';
  }

  async stop(): Promise<void> {
    await this.haproxy?.stop();
    await Promise.all(this.replicas.map((r) => this.stopReplica(r, 'SIGTERM')));
    await Promise.all(this.replicas.map((r) => r.redisProxy.close()));
    await Promise.all(this.emulators.map((e) => e.stop('SIGTERM')));
    await this.redis.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private line(source: string) {
    return this.onLine ? (text: string) => this.onLine?.(source, text) : undefined;
  }
}
