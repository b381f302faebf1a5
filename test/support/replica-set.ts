import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, TEST_CLIENTS, TestCaller, writeCallersFile } from './broker';
import { startRedis, TestRedis } from './redis-server';

export type TokenPolicy = 'new' | 'reuse' | 'revoke-previous';

export interface ReplicaSetBase {
  readonly redis: TestRedis;
  readonly emulator: StartedEmulator;
  /** Each caller's key by name. */
  readonly keys: Record<string, string>;
  /** The replicas' environment: brokerEnv under `policy`, refreshing at half the lifetime. */
  readonly env: NodeJS.ProcessEnv;
  /** Stops the emulator and Redis (the replicas are the caller's). */
  stop(): Promise<void>;
}

/**
 * What broker replicas on one Redis share: a private Redis, the emulator issuing
 * `ttlSeconds` tokens under Doorkeeper's `policy`, a callers file, and their environment.
 */
export async function startReplicaSetBase(
  policy: TokenPolicy,
  ttlSeconds: number,
  callers: TestCaller[],
): Promise<ReplicaSetBase> {
  const redis = await startRedis();
  const emulator = await startEmulator({
    admin: true,
    tokenTtlSeconds: ttlSeconds,
    tokenPolicy: policy,
    clients: TEST_CLIENTS,
  }).catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  const file = writeCallersFile(callers);
  const env: NodeJS.ProcessEnv = {
    ...brokerEnv({ emulator, callers: file, redis }),
    PROOF_TOKEN_POLICY: policy,
    BROKER_REFRESH_AT_FRACTION: '0.5',
    LOG_LEVEL: 'warn',
  };
  return {
    redis,
    emulator,
    keys: file.keys,
    env,
    stop: async () => {
      await emulator.close();
      await redis.stop();
    },
  };
}
