import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, TEST_CLIENTS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { proxyCall } from './proxy-calls';

describe('proxy: graceful shutdown', () => {
  let emulator: StartedEmulator;
  let broker: BrokerProcess;
  let key: string;

  beforeAll(async () => {
    emulator = await startEmulator({ admin: true, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['proof:call'], profiles: ['*'] }]);
    key = callers.keys.svc;
    broker = await startBrokerProcess('proxy-drain', {
      ...brokerEnv({ emulator, callers }),
      BROKER_SHUTDOWN_DELAY_MS: '200',
      LOG_LEVEL: 'warn',
    });
  }, 60_000);
  afterAll(async () => {
    await broker?.process.stop('SIGKILL');
    await emulator?.close();
  });

  it('lets a proxied answer in flight finish after SIGTERM, then exits 0', async () => {
    const response = await proxyCall(broker.url, '/proof/_emulator/fidelity/trickle?chunks=6&interval_ms=500', key);
    expect(response.statusCode).toBe(200);
    const chunks: string[] = [];
    let exited: Promise<number | null> | undefined;
    for await (const chunk of response.body) {
      chunks.push((chunk as Buffer).toString());
      // SIGTERM once the answer has started: its remaining 2.5 s outlast the shutdown delay.
      exited ??= broker.process.stop('SIGTERM', 20_000);
    }
    expect(chunks.join('')).toBe([0, 1, 2, 3, 4, 5].map((i) => `chunk ${i}\n`).join(''));
    expect(await exited).toBe(0);
  }, 60_000);
});
