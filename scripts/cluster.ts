import { join } from 'node:path';
import { portIsFree } from './lib/free-port';
import { LocalCluster, startLocalCluster } from './lib/local-cluster';

/**
 * `npm run cluster`: Redis, the Proof emulator, 3 broker replicas and HAProxy on loopback,
 * the way they run in production (separate processes, shared Redis, health-checked load
 * balancer). Prints the curl to get a token through HAProxy. Ctrl-C stops everything.
 *
 * CLUSTER_PORT: HAProxy's port (default 8080, or a free one when 8080 is taken).
 * CLUSTER_REPLICAS: number of broker replicas (default 3).
 * LOG_LEVEL and BROKER_* variables go to every replica; EMULATOR_TOKEN_TTL_SECONDS and
 * EMULATOR_TOKEN_POLICY to the emulator (e.g. EMULATOR_TOKEN_TTL_SECONDS=60 to watch refreshes).
 */
const DIST = join(__dirname, '..');
const OWN = new Set(['BROKER_REPLICA_ID', 'BROKER_CALLERS_FILE', 'BROKER_PROFILES_FILE']);

async function haproxyPort(): Promise<number | undefined> {
  const wanted = process.env.CLUSTER_PORT;
  if (wanted) {
    if (!/^\d+$/.test(wanted) || Number(wanted) < 1 || Number(wanted) > 65_535) {
      throw new Error('CLUSTER_PORT must be a TCP port number');
    }
    return Number(wanted);
  }
  return (await portIsFree(8080)) ? 8080 : undefined;
}

function passThrough(prefix: RegExp): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => prefix.test(name) && !OWN.has(name)));
}

function replicaCount(): number {
  const count = Number(process.env.CLUSTER_REPLICAS ?? 3);
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error('CLUSTER_REPLICAS must be 1 to 9');
  return count;
}

async function main(): Promise<void> {
  const policy = process.env.EMULATOR_TOKEN_POLICY;
  const cluster: LocalCluster = await startLocalCluster({
    brokerMain: join(DIST, 'apps/broker/src/main.js'),
    emulatorMain: join(DIST, 'apps/proof-emulator/src/main.js'),
    replicas: replicaCount(),
    port: await haproxyPort(),
    // The broker must know the emulator's policy (revoke-previous needs a hand-over).
    brokerEnv: { ...passThrough(/^(BROKER_|LOG_LEVEL$)/), ...(policy ? { PROOF_TOKEN_POLICY: policy } : {}) },
    emulatorEnv: passThrough(/^EMULATOR_TOKEN_(TTL_SECONDS|POLICY)$/),
    onLine: (source, line) => process.stdout.write(`[${source}] ${line}\n`),
  });
  const auth = `-H 'Authorization: Bearer ${cluster.callerKey}'`;
  process.stdout.write(
    [
      '',
      `Proof token broker cluster: ${cluster.replicas.length} replicas behind HAProxy on ${cluster.url}`,
      `  Redis ${cluster.redisUrl}, Proof emulator ${cluster.emulatorUrl} (admin API on: ${cluster.emulatorUrl}/_emulator/stats)`,
      '',
      'Get a token through HAProxy:',
      `  curl -s ${auth} ${cluster.url}/token`,
      'Its TTL metadata, without the token:',
      `  curl -s ${auth} ${cluster.url}/token/info`,
      '',
      'Per-replica probes and Prometheus metrics:',
      ...cluster.replicas.map((r) => `  ${r.name}: ${r.url}/metrics  ${r.url}/health/ready`),
      '',
      `HAProxy config: ${cluster.haproxy.configPath}`,
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping the cluster\n`);
    cluster.stop().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`stop failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
