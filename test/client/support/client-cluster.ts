import type { StartedEmulator } from '../../../apps/proof-emulator/src/start-emulator';
import { BROKER_MAIN, requireBuilt } from '../../support/broker-process';
import { ManagedProcess, startProcess } from '../../support/child-process';
import { freePort } from '../../support/free-port';
import { recordEnvSecrets } from '../../support/leak-ledger';
import { startReplicaSetBase, TokenPolicy } from '../../support/replica-set';
import { waitForHttp } from '../../support/wait';

export type { TokenPolicy };

export interface ClientCluster {
  readonly emulator: StartedEmulator;
  /** Replica base URLs: each keeps its port across a restart, so clients find it again. */
  readonly urls: readonly string[];
  /** `svc` (token:read) for the clients, `ops` (admin) for forced refreshes. */
  readonly keys: Record<'svc' | 'ops', string>;
  stopReplicas(): Promise<void>;
  /** Starts the replicas again (`only`: just those, by index). */
  startReplicas(only?: number[]): Promise<void>;
  stop(): Promise<void>;
}

/** A real Redis, the emulator (short tokens, `policy`) and three broker processes on fixed free ports. */
export async function startClientCluster(
  policy: TokenPolicy,
  ttlSeconds: number,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<ClientCluster> {
  const base = await startReplicaSetBase(policy, ttlSeconds, [
    { name: 'svc', roles: ['token:read'], profiles: ['default'] },
    { name: 'ops', roles: ['admin'], profiles: ['*'] },
  ]);
  const { emulator, keys } = base;
  const env: NodeJS.ProcessEnv = { ...base.env, ...extraEnv };
  recordEnvSecrets(env);
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const children: ManagedProcess[] = [];
  const startReplicas = async (only = [0, 1, 2]) => {
    for (const i of only)
      children[i] = startProcess(process.execPath, [requireBuilt(BROKER_MAIN)], {
        env: {
          ...env,
          PATH: process.env.PATH,
          PORT: String(ports[i]),
          HOST: '127.0.0.1',
          BROKER_REPLICA_ID: `r${i + 1}`,
        },
      });
    await Promise.all(only.map((i) => urls[i]).map((url) => waitForHttp(`${url}/health/ready`, 200, 90_000))).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${children.map((c) => c.output().slice(-1_500)).join('\n')}`);
      },
    );
  };
  const stopReplicas = async () => void (await Promise.all(children.map((c) => c.stop('SIGTERM'))));
  await startReplicas();
  return {
    emulator,
    urls,
    keys: { svc: keys.svc, ops: keys.ops },
    stopReplicas,
    startReplicas,
    stop: async () => {
      await stopReplicas();
      await base.stop();
    },
  };
}
