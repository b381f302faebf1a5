// Part 6: BrokerClient.getToken() on a cached token, in this process: the cost a service pays
// per call to Proof once the token is in memory (target: under 1 µs, a map lookup).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../lib/processes';

interface CachingClient {
  getToken(): Promise<string>;
  close(): void;
}
type ClientModule = { BrokerClient: new (options: object) => CachingClient };

export interface ClientResult {
  /** The call alone (it returns a settled promise), ns. */
  readonly callNs: number;
  /** The call and an `await` of its promise, ns. */
  readonly awaitedNs: number;
  readonly calls: number;
}

/**
 * The built package, as services load it. The broker is a stub that answers once: only the
 * cached path is measured, which never touches the network.
 */
export async function runClient(quick: boolean): Promise<ClientResult> {
  const load = createRequire(__filename);
  const { BrokerClient } = load(join(ROOT, 'libs', 'broker-client', 'dist', 'index.js')) as ClientModule;
  const answer = { access_token: 'bench-token', token_type: 'Bearer', expires_in: 7200, refresh_in: 4440 };
  const client = new BrokerClient({
    url: 'http://127.0.0.1:9',
    key: 'bench-key-not-a-secret-0000000000',
    fetch: () => Promise.resolve(Response.json(answer)),
  });
  await client.getToken();
  const calls = quick ? 1_000_000 : 10_000_000;
  const time = async (run: (n: number) => Promise<void> | void, n: number): Promise<number> => {
    await run(n / 10); // warm-up, so the optimized code is measured
    const started = process.hrtime.bigint();
    await run(n);
    return Number(process.hrtime.bigint() - started) / n;
  };
  const callNs = await time((n) => {
    for (let i = 0; i < n; i++) void client.getToken();
  }, calls);
  const awaitedNs = await time(async (n) => {
    for (let i = 0; i < n; i++) await client.getToken();
  }, calls / 10);
  client.close();
  return { callNs, awaitedNs, calls };
}
