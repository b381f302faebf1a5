import { startEmulator, type StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import {
  brokerEnv,
  startBrokerInProcess,
  TEST_CLIENTS,
  writeCallersFile,
  type InProcessBroker,
} from '../support/broker';
import { startFullBacklogListener } from './full-backlog-listener';
import { proxyCall } from './proxy-calls';

const CONNECT_TIMEOUT_MS = 500;
const PATH = '/proof/v1/transactions/1';

describe('proxy: Proof unreachable', () => {
  let emulator: StartedEmulator;
  let broker: InProcessBroker;
  let key: string;

  // The broker has its token from boot; then each test takes Proof away in its own way.
  beforeEach(async () => {
    emulator = await startEmulator({ clients: TEST_CLIENTS });
    const callers = writeCallersFile([{ name: 'svc', roles: ['proof:call'], profiles: ['*'] }]);
    key = callers.keys.svc;
    broker = await startBrokerInProcess({
      ...brokerEnv({ emulator, callers }),
      BROKER_PROXY_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    });
    const first = await proxyCall(broker.url, PATH, key);
    expect(first.statusCode).toBe(200);
    await first.body.dump();
  }, 60_000);
  afterEach(async () => {
    await broker?.close();
    await emulator?.close().catch(() => undefined);
  });

  it('answers 502 upstream_unreachable when the connection to Proof is refused', async () => {
    await emulator.close();
    const response = await proxyCall(broker.url, PATH, key);
    expect(response.statusCode).toBe(502);
    expect(await response.body.json()).toMatchObject({ error: 'upstream_unreachable' });
  });

  it('answers 504 upstream_timeout when the connection to Proof is never established', async () => {
    await emulator.close();
    // Proof's port now takes no connection: SYNs are dropped, as by a host that is down.
    const listener = await startFullBacklogListener(emulator.port);
    try {
      const started = Date.now();
      const response = await proxyCall(broker.url, PATH, key);
      const elapsedMs = Date.now() - started;
      expect(response.statusCode).toBe(504);
      expect(await response.body.json()).toMatchObject({ error: 'upstream_timeout' });
      // The connect timeout, not the headers timeout (30 s by default), nor a refusal.
      expect(elapsedMs).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
      expect(elapsedMs).toBeLessThan(10_000);
    } finally {
      listener.close();
    }
  });
});
