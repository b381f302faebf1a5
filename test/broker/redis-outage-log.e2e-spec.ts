import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { brokerEnv, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { startRedis, TestRedis } from '../support/redis-server';
import { waitForHttp, waitUntil } from '../support/wait';
import { TEST_CLIENTS } from '../support/broker';

const UNREACHABLE = 'Redis unreachable: refreshes paused, serving tokens from memory';
const RECOVERED = 'Redis reachable again: refreshes resume';

// `npm run cluster` used to print the outage warning at every replica's boot, while its first
// connection to a Redis that was up was still being made.
describe('the Redis outage warning of a broker process', () => {
  let redis: TestRedis;
  let emulator: StartedEmulator;
  let broker: BrokerProcess;
  const count = (text: string) => broker.process.output().split(text).length - 1;

  beforeAll(async () => {
    redis = await startRedis();
    // Short-lived tokens: a refresh falls due while Redis is down.
    emulator = await startEmulator({ tokenTtlSeconds: 6, clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['*'] }]);
    broker = await startBrokerProcess('outage-log', { ...brokerEnv({ emulator, callers, redis }), LOG_LEVEL: 'log' });
  });
  afterAll(async () => {
    await broker?.process.stop('SIGTERM');
    await emulator?.close();
    await redis?.stop();
  });

  it('says nothing while the first connection is made, warns once Redis is down, logs its return', async () => {
    // Ready: a token was obtained, under the lock in Redis.
    await waitForHttp(`${broker.url}/health/ready`, 200, 30_000);
    expect(broker.process.output()).toContain('ready (single)');
    expect(count(UNREACHABLE)).toBe(0);

    await redis.kill();
    await waitUntil('the outage warning', () => count(UNREACHABLE) > 0, 30_000);
    await redis.restart();
    await waitUntil('the recovery line', () => count(RECOVERED) > 0, 30_000);
    expect([count(UNREACHABLE), count(RECOVERED)]).toEqual([1, 1]);
  }, 120_000);
});
