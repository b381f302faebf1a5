/**
 * A service calling Proof in a loop, run as its own process by the client e2e specs (compiled
 * by client-workers.ts, loading the BUILT @proof-broker/client through its package exports).
 * MODE=client uses BrokerClient.fetch; MODE=naive caches GET /token's answer until expires_at
 * (less NAIVE_MARGIN_MS), as a service without the client would. Runs for DURATION_MS or until
 * SIGTERM; prints `first call ok` after its first success and one JSON line of counts at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerClient, BrokerClientError } from '@proof-broker/client';

const env = process.env;
const proofUrl = env.PROOF_URL as string;
const brokerUrl = env.BROKER_URL as string;
const key = env.BROKER_KEY as string;
let end = Date.now() + Number(env.DURATION_MS ?? 600_000);
process.once('SIGTERM', () => (end = 0));
const intervalMs = Number(env.INTERVAL_MS ?? 50);

const stats = {
  mode: env.MODE,
  calls: 0,
  ok: 0,
  /** Every 401 Proof answered, including those client.fetch retried. */
  proof401: 0,
  /** Calls the application saw fail, by code. */
  failed: 0,
  failures: {} as Record<string, number>,
  firstFailureAt: 0,
  lastFailureAt: 0,
  okAfterLastFailure: 0,
  brokerRequests: 0,
  reports: 0,
  staleServed: 0,
};

const counting: typeof fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  if (url.startsWith(brokerUrl)) {
    stats.brokerRequests++;
    if (url.includes('/token/rejected')) stats.reports++;
  }
  const response = await fetch(input, init);
  if (url.startsWith(proofUrl) && response.status === 401) stats.proof401++;
  return response;
};

function fail(code: string): void {
  stats.failed++;
  stats.failures[code] = (stats.failures[code] ?? 0) + 1;
  stats.firstFailureAt ||= Date.now();
  stats.lastFailureAt = Date.now();
  stats.okAfterLastFailure = 0;
}

function succeed(): void {
  if (stats.ok === 0) process.stdout.write('first call ok\n');
  stats.ok++;
  stats.okAfterLastFailure++;
}

function clientCall(): (path: string) => Promise<Response> {
  const client = new BrokerClient({
    url: brokerUrl,
    key,
    safetyMarginSeconds: Number(env.SAFETY_MARGIN_SECONDS ?? 2),
    requestTimeoutMs: 15_000,
    fetch: counting,
    policy: env.BACKOFF_MAX_MS ? { backoffMaxMs: Number(env.BACKOFF_MAX_MS) } : undefined,
    hooks: { servedStale: () => void stats.staleServed++ },
  });
  return (path) => client.fetch(`${proofUrl}${path}`);
}

function naiveCall(): (path: string) => Promise<Response> {
  let cached: { token: string; until: number } | undefined;
  const margin = Number(env.NAIVE_MARGIN_MS ?? 1_000);
  return async (path) => {
    if (!cached || Date.now() >= cached.until) {
      const answer = await counting(`${brokerUrl}/token`, { headers: { authorization: `Bearer ${key}` } });
      if (!answer.ok) throw new BrokerClientError('http_error', `GET /token ${answer.status}`, answer.status);
      const body = (await answer.json()) as { access_token: string; expires_at: string };
      cached = { token: body.access_token, until: Date.parse(body.expires_at) - margin };
    }
    const response = await counting(`${proofUrl}${path}`, { headers: { authorization: `Bearer ${cached.token}` } });
    if (response.status === 401) cached = undefined;
    return response;
  };
}

async function main(): Promise<void> {
  const call = env.MODE === 'naive' ? naiveCall() : clientCall();
  for (let i = 0; Date.now() < end; i++) {
    stats.calls++;
    try {
      const response = await call(`/v1/transactions/tx-${i}`);
      await response.arrayBuffer();
      if (response.status === 200) succeed();
      else fail(`proof_${response.status}`);
    } catch (error) {
      fail(error instanceof BrokerClientError ? error.code : 'exception');
    }
    await sleep(intervalMs);
  }
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  process.exit(0);
}

void main();
