// Starts what the bench measures, each as a child process on a free loopback port.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BROKER_NODE_FLAGS } from '../../scripts/lib/broker-node-flags';
import { FAST_BROKER_TIMINGS } from '../../scripts/lib/fast-timings';
import { freePort, Proc, ROOT, sleep, start, waitFor200 } from './processes';

const BROKER_MAIN = join(ROOT, 'dist/apps/broker/src/main.js');
const EMULATOR_MAIN = join(ROOT, 'dist/apps/proof-emulator/src/main.js');
// A fresh random secret per run, like the tests' (never a literal a log scan could miss).
const CLIENT = { id: 'bench-app', secret: randomBytes(24).toString('base64url') };

/**
 * What every bench broker gets beyond the shipped defaults: a fresh at-rest key, no shutdown
 * delay, and a per-caller rate limit out of reach (one caller at tens of thousands of requests
 * a second, far over the default 2000 a second; the limiter still counts every request).
 */
const BROKER_ENV = {
  BROKER_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
  BROKER_SHUTDOWN_DELAY_MS: '0',
  BROKER_RATE_LIMIT_PER_CALLER: '1000000000',
};

/**
 * Part 3's 6 s tokens: the tests' fast timings (scripts/lib/fast-timings.ts), refreshing at half
 * the lifetime. Not for the parts whose targets are judged at the shipped defaults: a refresh
 * check every 100 ms instead of 1 s is background work counted in their CPU per request.
 */
const SHORT_TOKEN_TIMINGS = { ...FAST_BROKER_TIMINGS, BROKER_REFRESH_AT_FRACTION: '0.5' };

export function requireBuilt(): void {
  for (const path of [BROKER_MAIN, EMULATOR_MAIN]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm run bench does)`);
  }
}

export interface Callers {
  readonly path: string;
  readonly key: string;
  readonly keySha256: string;
}

/** A callers file with one caller (token:read, token:info, proof:call on `default`), as `npm run broker:keygen` makes. */
export function writeCallersFile(dir: string): Callers {
  const key = randomBytes(32).toString('base64url');
  const keySha256 = createHash('sha256').update(key, 'utf8').digest('hex');
  const entry = {
    name: 'bench',
    keySha256: [keySha256],
    roles: ['token:read', 'token:info', 'proof:call'],
    profiles: ['default'],
  };
  const path = join(dir, 'callers.json');
  writeFileSync(path, JSON.stringify([entry]));
  return { path, key, keySha256 };
}

export interface BenchRedis {
  readonly url: string;
  readonly proc: Proc;
  readonly client: Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const proc = start('redis-server', 'redis-server', args);
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  for (let attempt = 0; ; attempt++) {
    if (!proc.alive()) throw new Error(`redis-server exited (is it installed?):\n${proc.output()}`);
    try {
      if (client.status !== 'ready') await client.connect();
      if ((await client.ping()) === 'PONG') break;
    } catch {
      if (attempt > 200) throw new Error(`redis-server on port ${port} did not answer:\n${proc.output()}`);
      await sleep(25);
    }
  }
  const stop = async () => {
    client.disconnect();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, proc, client, stop };
}

export interface EmulatorStats {
  readonly tokenRequests: number;
  readonly tokensIssued: number;
}

export interface BenchEmulator {
  readonly url: string;
  readonly proc: Proc;
  stats(): Promise<EmulatorStats>;
}

export async function startEmulator(tokenTtlSeconds: number): Promise<BenchEmulator> {
  const port = await freePort();
  const proc = start(`emulator (ttl ${tokenTtlSeconds}s)`, process.execPath, [EMULATOR_MAIN], {
    EMULATOR_PORT: String(port),
    EMULATOR_HOST: '127.0.0.1',
    EMULATOR_ADMIN: 'on',
    EMULATOR_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
    EMULATOR_TOKEN_TTL_SECONDS: String(tokenTtlSeconds),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(proc, `${url}/_emulator/stats`);
  const stats = async () => (await (await fetch(`${url}/_emulator/stats`)).json()) as EmulatorStats;
  return { url, proc, stats };
}

export interface BrokerOptions {
  readonly redisUrl: string;
  readonly emulatorUrl: string;
  readonly callersPath: string;
  /** Node flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: string[];
  /**
   * `log`: production's default level with the default audit (BROKER_ACCESS_LOG=aggregate: a
   * line per answer >= 400, handouts counted and written once a second), written to /dev/null
   * (read by the bench, they would load the process that runs the load generator). Default `warn`.
   */
  readonly logLevel?: 'warn' | 'log';
  /** Part 3's short tokens: fast refresh timings (SHORT_TOKEN_TIMINGS). Default: the shipped timings. */
  readonly shortTokens?: boolean;
  /** More settings, e.g. BROKER_ACCESS_LOG. */
  readonly env?: Record<string, string>;
  /** Another build's main.js (`--ab`: a baseline beside this build). Default: this build's. */
  readonly main?: string;
}

export interface Broker {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly proc: Proc;
  /** Spawn to the first 200 of /health/ready (polled every 20 ms), ms. */
  readonly readyMs: number;
}

/** Starts one broker replica (`node dist/apps/broker/src/main.js`) and resolves once it is ready. */
export async function startBroker(name: string, options: BrokerOptions): Promise<Broker> {
  const port = await freePort();
  const proc = start(
    `broker ${name}`,
    process.execPath,
    // Production's V8 flags: the bench measures what runs.
    [...BROKER_NODE_FLAGS, ...(options.nodeArgs ?? []), options.main ?? BROKER_MAIN],
    {
      ...BROKER_ENV,
      ...(options.shortTokens ? SHORT_TOKEN_TIMINGS : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
      BROKER_REPLICA_ID: name,
      LOG_LEVEL: options.logLevel ?? 'warn',
      REDIS_URL: options.redisUrl,
      PROOF_BASE_URL: options.emulatorUrl,
      PROOF_CLIENT_ID: CLIENT.id,
      PROOF_CLIENT_SECRET: CLIENT.secret,
      BROKER_CALLERS_FILE: options.callersPath,
      ...options.env,
    },
    options.logLevel === 'log' ? 'ignore' : 'pipe',
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(proc, `${url}/health/ready`);
  return { name, url, port, proc, readyMs: performance.now() - proc.startedAt };
}

/** Starts a comparison server (`bare-fastify`, `naive-broker`) with `env`, once GET `probe` answers 200. */
export async function startScript(
  name: string,
  env: NodeJS.ProcessEnv,
  probe: string,
  headers: Record<string, string> = {},
  /** Node flags, e.g. `--cpu-prof` (the script must exit on SIGTERM for the profile to be written). */
  nodeArgs: string[] = [],
): Promise<{ url: string; proc: Proc }> {
  const port = await freePort();
  const script = join(__dirname, '..', `${name}.js`);
  const proc = start(name, process.execPath, [...nodeArgs, script], { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor200(proc, `${url}${probe}`, { headers });
  return { url, proc };
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'bench-'));

export interface StudyServices {
  readonly redis: BenchRedis;
  readonly callers: Callers;
  readonly emulator: BenchEmulator;
  /** What every broker of the study is started with: these services, the shipped log level. */
  readonly brokerOptions: BrokerOptions & { logLevel: 'log' };
  /** Processes `stop` ends (the emulator already). */
  readonly started: Proc[];
  stop(): Promise<void>;
}

/** A study's own Redis, emulator (tokens of `tokenTtlSeconds`) and callers file. */
export async function startStudyServices(tokenTtlSeconds: number): Promise<StudyServices> {
  const dir = tempDir();
  const callers = writeCallersFile(dir);
  const redis = await startRedis();
  const emulator = await startEmulator(tokenTtlSeconds);
  const started: Proc[] = [emulator.proc];
  const brokerOptions = {
    redisUrl: redis.url,
    emulatorUrl: emulator.url,
    callersPath: callers.path,
    logLevel: 'log' as const,
  };
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { redis, callers, emulator, brokerOptions, started, stop };
}
