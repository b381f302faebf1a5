import { FAST_TIMINGS } from './broker';
import { LocalCluster, startTestCluster } from './local-cluster';
import { waitUntil } from './wait';

// Readiness is red this long before a replica stops accepting. HAProxy checks every 500 ms
// and needs 2 failures: the replica leaves the rotation 0.5 to 1 s after SIGTERM.
const SHUTDOWN_DELAY_MS = 1_500;

/**
 * Three replicas behind HAProxy (and the emulator, Redis), ready for a rolling restart: a
 * `ttlSeconds` token refreshed at half its life, so refreshes go on during the restarts.
 */
export const startRollingCluster = (ttlSeconds: number): Promise<LocalCluster> =>
  startTestCluster({
    replicas: 3,
    // Three Nest boots at once take over 30 s at a load average of 20.
    bootTimeoutMs: 90_000,
    brokerEnv: {
      ...FAST_TIMINGS,
      BROKER_SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      BROKER_REFRESH_AT_FRACTION: '0.5',
      LOG_LEVEL: 'warn',
    },
    emulatorEnv: { EMULATOR_TOKEN_TTL_SECONDS: String(ttlSeconds) },
  });

export interface Restart {
  readonly name: string;
  readonly exitCode: number | null;
  /** When HAProxy marked the replica DOWN and when the process exited, in ms after SIGTERM. */
  readonly downAfterMs: number;
  readonly exitedAfterMs: number;
}

/**
 * One step of a rolling restart, as an orchestrator does it: once every replica is in
 * rotation, SIGTERM to `name`; HAProxy marks it DOWN, it exits, and a replacement starts on
 * its port.
 */
export async function restartReplica(cluster: LocalCluster, name: string): Promise<Restart> {
  await cluster.waitAllInRotation();
  const signalled = Date.now();
  const exit = cluster.stopReplica(name, 'SIGTERM').then((code) => ({ code, at: Date.now() }));
  await waitUntil(
    `haproxy to mark ${name} DOWN`,
    async () => (await cluster.haproxy.servers()).get(name)?.status === 'DOWN',
    10_000,
    20,
  );
  const downAt = Date.now();
  const exited = await exit;
  await cluster.startReplica(name);
  return { name, exitCode: exited.code, downAfterMs: downAt - signalled, exitedAfterMs: exited.at - signalled };
}
