import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCallerKey } from '../../apps/broker/src/auth/caller-key';
import { freePorts } from './free-port';
import { Haproxy, startHaproxy } from './haproxy';
import { ManagedProcess, startManagedProcess } from './managed-process';
import { startRedisProcess } from './redis-process';
import { answers, waitUntil } from './wait-until';
import { BROKER_NODE_FLAGS } from './broker-node-flags';

export interface LocalClusterOptions {
  /** The built apps: dist/apps/broker/src/main.js and dist/apps/proof-emulator/src/main.js. */
  readonly brokerMain: string;
  readonly emulatorMain: string;
  readonly replicas?: number;
  /** HAProxy's port on 127.0.0.1; a free one when unset. */
  readonly port?: number;
  /** Extra broker variables (timings, LOG_LEVEL); the cluster sets ports, Redis, Proof and callers. */
  readonly brokerEnv?: NodeJS.ProcessEnv;
  /** Extra emulator variables (EMULATOR_TOKEN_TTL_SECONDS, EMULATOR_TOKEN_POLICY, ...). */
  readonly emulatorEnv?: NodeJS.ProcessEnv;
  /** Every output line of every child, with its name (redis, emulator, broker1, haproxy). */
  readonly onLine?: (source: string, line: string) => void;
  /** How long each child may take to come up (30 s); more where several clusters or apps boot at once. */
  readonly bootTimeoutMs?: number;
}

export interface ClusterReplica {
  readonly name: string;
  readonly port: number;
  readonly url: string;
}

export interface LocalCluster {
  /** HAProxy: where callers send GET /token. */
  readonly url: string;
  readonly emulatorUrl: string;
  readonly redisUrl: string;
  /** A caller key with token:read, token:info and proof:call on every profile. */
  readonly callerKey: string;
  /** The client secret and encryption key made up for this cluster (the tests' leak scan looks for them). */
  readonly secrets: { readonly clientSecret: string; readonly encryptionKey: string };
  readonly replicas: readonly ClusterReplica[];
  readonly haproxy: Haproxy;
  /** Signals one replica and resolves with its exit code. */
  stopReplica(name: string, signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts a replica again on its own port (HAProxy's config names fixed ports) and waits until it is ready. */
  startReplica(name: string): Promise<void>;
  /** Resolves once HAProxy sees every replica UP. */
  waitAllInRotation(timeoutMs?: number): Promise<void>;
  /** The current output of a child by name. */
  output(name: string): string;
  /** Stops HAProxy, then the replicas (gracefully), the emulator and Redis; removes the temp dir. */
  stop(): Promise<void>;
}

const CLIENT_ID = 'demo-client';
// Boot of a Nest app on a busy 2-core machine, plus the first token from the emulator.
const BOOT_TIMEOUT_MS = 30_000;

/** Redis, the Proof emulator, N broker replicas and HAProxy in front, all on loopback. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const count = options.replicas ?? 3;
  const bootTimeoutMs = options.bootTimeoutMs ?? BOOT_TIMEOUT_MS;
  const dir = mkdtempSync(join(tmpdir(), 'broker-cluster-'));
  const children = new Map<string, ManagedProcess>();
  const line = (source: string) => (options.onLine ? (text: string) => options.onLine?.(source, text) : undefined);
  const gone = (name: string) => () => {
    const child = children.get(name);
    return child && child.child.exitCode !== null ? `${name} exited:\n${child.output()}` : undefined;
  };
  let haproxy: Haproxy | undefined;

  const stopAll = async () => {
    await haproxy?.stop();
    const replicas = [...children.values()].filter((c) => c.name.startsWith('broker'));
    await Promise.all(replicas.map((c) => c.stop('SIGTERM')));
    await children.get('emulator')?.stop('SIGTERM');
    await children.get('redis')?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Every port is picked up front: HAProxy's config names each replica's port for good.
    const [redisPort, emulatorPort, freeHaproxyPort, ...replicaPorts] = await freePorts(3 + count);
    const haproxyPort = options.port ?? freeHaproxyPort;
    const replicas: ClusterReplica[] = replicaPorts.map((port, i) => ({
      name: `broker${i + 1}`,
      port,
      url: `http://127.0.0.1:${port}`,
    }));

    children.set('redis', await startRedisProcess(redisPort, dir, line('redis')));
    const redisUrl = `redis://127.0.0.1:${redisPort}`;

    const secret = randomBytes(18).toString('base64url');
    const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    children.set(
      'emulator',
      startManagedProcess('emulator', process.execPath, [options.emulatorMain], {
        env: {
          EMULATOR_ADMIN: 'on',
          ...options.emulatorEnv,
          EMULATOR_HOST: '127.0.0.1',
          EMULATOR_PORT: String(emulatorPort),
          EMULATOR_CLIENTS: `${CLIENT_ID}:${secret}`,
        },
        onLine: line('emulator'),
      }),
    );
    // The emulator answers 401 to an unauthenticated token/info: up, and no token spent.
    await waitUntil('the emulator', () => answers(`${emulatorUrl}/oauth/v2/token/info`, 401), {
      timeoutMs: bootTimeoutMs,
      abort: gone('emulator'),
    });

    const { key, entry } = generateCallerKey('cluster-client', ['token:read', 'token:info', 'proof:call'], ['*']);
    const callersFile = join(dir, 'callers.json');
    writeFileSync(callersFile, JSON.stringify([entry]), { mode: 0o600 });
    // One fresh key shared by the replicas: tokens in Redis are encrypted at rest.
    const encryptionKeys = `cluster:${randomBytes(32).toString('base64')}`;

    const startReplica = async (name: string) => {
      const replica = replicas.find((r) => r.name === name);
      if (!replica) throw new Error(`no replica named ${name}`);
      if (children.get(name)?.child.exitCode === null) throw new Error(`${name} is still running`);
      const env: NodeJS.ProcessEnv = {
        LOG_LEVEL: 'warn',
        BROKER_SHUTDOWN_DELAY_MS: '1500',
        ...options.brokerEnv,
        PORT: String(replica.port),
        HOST: '127.0.0.1',
        BROKER_REPLICA_ID: name,
        // HAProxy on loopback sends X-Forwarded-For: the audit line and rate limits see the client.
        BROKER_TRUSTED_PROXIES: 'loopback',
        REDIS_URL: redisUrl,
        BROKER_ENCRYPTION_KEYS: encryptionKeys,
        PROOF_BASE_URL: emulatorUrl,
        PROOF_CLIENT_ID: CLIENT_ID,
        PROOF_CLIENT_SECRET: secret,
        BROKER_CALLERS_FILE: callersFile,
      };
      children.set(
        name,
        startManagedProcess(name, process.execPath, [...BROKER_NODE_FLAGS, options.brokerMain], {
          env,
          onLine: line(name),
        }),
      );
      await waitUntil(`${name} to be ready`, () => answers(`${replica.url}/health/ready`), {
        timeoutMs: bootTimeoutMs,
        abort: gone(name),
      }).catch(async (error: Error) => {
        // Say why: the readiness body names the profiles without a servable token.
        const why = await fetch(`${replica.url}/health/ready`).then(
          (r) => r.text(),
          () => 'no answer',
        );
        throw new Error(`${error.message}; last /health/ready: ${why}`);
      });
    };
    await Promise.all(replicas.map((r) => startReplica(r.name)));

    haproxy = await startHaproxy(dir, { port: haproxyPort, servers: replicas }, line('haproxy'));
    children.set('haproxy', haproxy.process);
    const proxy = haproxy;
    const waitAllInRotation = (timeoutMs = bootTimeoutMs) =>
      waitUntil(
        'every replica UP in haproxy',
        // The fail-open `-open` backups are never checked: only the replicas count.
        async () => [...(await proxy.servers())].every(([name, s]) => name.endsWith('-open') || s.status === 'UP'),
        { timeoutMs, abort: gone('haproxy') },
      );
    await waitAllInRotation();

    return {
      url: haproxy.url,
      emulatorUrl,
      redisUrl,
      callerKey: key,
      secrets: { clientSecret: secret, encryptionKey: encryptionKeys.slice(encryptionKeys.indexOf(':') + 1) },
      replicas,
      haproxy,
      stopReplica: async (name, signal = 'SIGTERM') => {
        const child = children.get(name);
        if (!child) throw new Error(`no replica named ${name}`);
        return child.stop(signal);
      },
      startReplica,
      waitAllInRotation,
      output: (name) => children.get(name)?.output() ?? '',
      stop: stopAll,
    };
  } catch (error) {
    const outputs = [...children.values()].map((c) => `--- ${c.name}\n${c.output().slice(-2_000)}`).join('\n');
    await stopAll();
    throw new Error(`local cluster did not start: ${(error as Error).message}\n${outputs}`);
  }
}
