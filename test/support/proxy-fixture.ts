import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, TEST_CLIENTS, writeCallersFile } from './broker';
import { BrokerProcess, startBrokerProcess } from './broker-process';

export interface ProxyFixture {
  readonly emulator: StartedEmulator;
  readonly broker: BrokerProcess;
  /** The key of `svc`, the caller that may call /proof/* (role proof:call). */
  readonly key: string;
  /** Stops the broker with `signal`, then the emulator. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The emulator (admin on) and one broker process in front of it for /proof/*, `env` on top of brokerEnv. */
export async function startProxyFixture(name: string, env: NodeJS.ProcessEnv = {}): Promise<ProxyFixture> {
  const emulator = await startEmulator({ admin: true, clients: TEST_CLIENTS });
  const callers = writeCallersFile([{ name: 'svc', roles: ['proof:call'], profiles: ['*'] }]);
  const broker = await startBrokerProcess(name, {
    ...brokerEnv({ emulator, callers }),
    LOG_LEVEL: 'warn',
    ...env,
  }).catch(async (error: unknown) => {
    await emulator.close();
    throw error;
  });
  return {
    emulator,
    broker,
    key: callers.keys.svc,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      await broker.process.stop(signal);
      await emulator.close();
    },
  };
}
