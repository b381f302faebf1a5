import type { BrokerProcess } from '../support/broker-process';
import { ProxyFixture, startProxyFixture } from '../support/proxy-fixture';
import { proxyCall } from './proxy-calls';

describe('proxy: graceful shutdown', () => {
  let fixture: ProxyFixture;
  let broker: BrokerProcess;
  let key: string;

  beforeAll(async () => {
    fixture = await startProxyFixture('proxy-drain', { BROKER_SHUTDOWN_DELAY_MS: '200' });
    ({ broker, key } = fixture);
  }, 60_000);
  afterAll(() => fixture?.stop('SIGKILL'));

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
