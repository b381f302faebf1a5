import type { TokenRecord } from '../../apps/broker/src/store/token-record';
import { sleep, waitUntil } from '../support/wait';
import { expectCallersUnharmed, replicaTalkingToProof, Window } from './support/expectations';
import { FaultCluster, Policy, Replica, TIMINGS } from './support/fault-cluster';
import { useFaultCluster } from './support/fault-suite';
import { WRITE_COMMAND } from './support/token-write';
import { runScenario, ScenarioControl, ScenarioResult } from './support/scenario';
import { BrokerEnv } from '../../apps/broker/src/config/broker-env.schema';
import { FAST_TIMINGS } from '../support/broker';
import { LOAD_CONCURRENCY, ServedRequest } from './support/load-driver';

const REJECTED = /write with fence (\d+) rejected/;

/**
 * Makes the next refresh slow at Proof (1.5 s, under the 2 s deadline) so that it is in
 * flight, finds the replica holding the lock for it (the one talking to Proof) and takes it
 * out of the load balancer's rotation at once (requests already sent to it stay in flight).
 */
async function refreshInFlight(s: ScenarioControl) {
  await s.beforeRefreshWindow(1_500);
  await s.cluster.admin.fault({ mode: 'latency', count: 1, latencyMs: 1_500 });
  const holder = await replicaTalkingToProof(s.live());
  const acquiredAt = Date.now();
  const answeredBytes = holder.proofProxy.stats().bytesToClient;
  const drained = s.load.remove(holder.url);
  await s.faultStarted();
  const replaced = (await s.cluster.record())!;
  return { holder, acquiredAt, answeredBytes, drained, replaced };
}

/** Resolves with the time a record newer than `fence`, written by another replica than `holder`, is in Redis. */
async function replacedByAnother(cluster: FaultCluster, holder: Replica, fence: number): Promise<number> {
  await waitUntil(
    'a newer token from another replica',
    async () => {
      const record = await cluster.record();
      return record !== undefined && record.fence > fence && record.refreshedBy !== holder.name;
    },
    20_000,
    20,
  );
  return Date.now();
}

/** Polls /health/ready like a load balancer: ms from `since` until it is not 200, if within `timeoutMs`. */
async function notReadyAfter(url: string, since: number, timeoutMs: number): Promise<number | undefined> {
  while (Date.now() - since < timeoutMs) {
    // A probe that gets no answer (refused, timed out) counts as not ready, as for a load balancer.
    const status = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(500) }).then(
      (response) => response.status,
      () => 'no answer' as const,
    );
    if (status !== 200) return Date.now() - since;
    await sleep(50);
  }
  return undefined;
}

/**
 * The holder dies with its request to Proof in flight: its lock expires within one lease
 * (no renewal comes any more) and another replica refreshes. A replacement replica joins
 * afterwards (`replace`). `name`: the scenario's row in the report.
 */
async function holderKilled(cluster: FaultCluster, name = 'lock holder SIGKILLed mid-refresh', replace = true) {
  let takeoverMs = Infinity;
  let window: Window | undefined;
  const result = await runScenario(cluster, { order: 8, name, extraUpstream: 1 }, async (s) => {
    const { holder, acquiredAt, replaced } = await refreshInFlight(s);
    s.killed(holder.url);
    await holder.process.stop('SIGKILL');
    await cluster.forget(holder);
    s.healed();
    const replacedAt = await replacedByAnother(cluster, holder, replaced.fence);
    takeoverMs = replacedAt - acquiredAt;
    // Until every replica in rotation holds the new token: on a loaded host a replica can
    // lag the store by more than a waiting caller's wake-up allowance (1.3 s seen at load 12).
    const fence = (await cluster.record())!.fence;
    const holds = async () => (await Promise.all(s.live().map((r) => cluster.info(r)))).every((i) => i.fence === fence);
    await waitUntil('every replica in rotation to hold the new token', holds, 10_000, 20);
    window = { from: acquiredAt, to: Date.now() };
    s.note(
      `holder ${holder.name} killed; another replica wrote a new token ${takeoverMs} ms after the lock was taken, ` +
        `on every replica in rotation ${window.to - replacedAt} ms later`,
    );
    if (replace) s.load.add((await cluster.startReplica()).url);
  });
  return { result, takeoverMs, window: window! };
}

/**
 * The holder is paused past the lock TTL right after it sent its write: Proof answered it,
 * and its write sits in the socket (held by its Redis proxy, as a kernel buffer holds it
 * through a pause) while another replica refreshes. The write reaches Redis late, then the
 * holder resumes. (Paused while its Proof request is in flight instead, the holder never
 * writes: on resume its deadline timer fires before the answer is read.)
 */
async function holderPaused(cluster: FaultCluster) {
  let holder: Replica | undefined;
  let after: TokenRecord | undefined;
  let stoppedMs = 0;
  let stop = { from: 0, to: 0 };
  let window: Window | undefined;
  let rejectionLogged = false;
  let caughtUp = false;
  const result = await runScenario(
    cluster,
    { order: 9, name: 'lock holder SIGSTOPped past the lock TTL, then SIGCONT', extraUpstream: 1 },
    async (s) => {
      const inFlight = await refreshInFlight(s);
      const h = (holder = inFlight.holder);
      h.redisProxy.watch(WRITE_COMMAND);
      const writesBefore = h.redisProxy.stats().watched;
      h.redisProxy.setMode({ kind: 'blackhole' });
      const answered = () => h.proofProxy.stats().bytesToClient > inFlight.answeredBytes;
      await waitUntil('Proof to answer the holder', answered, 5_000, 5);
      // It parses the answer and sends its fenced write, which the blackhole holds (a fixed
      // 200 ms was too short under CI load: stopped before writing, it never wrote at all).
      const wrote = () => h.redisProxy.stats().watched > writesBefore;
      await waitUntil('the holder to send its token write', wrote, 5_000, 5);
      h.process.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      const replacedAt = await replacedByAnother(cluster, h, inFlight.replaced.fence);
      window = { from: inFlight.acquiredAt, to: replacedAt };
      await sleep(Math.max(replacedAt + 500, stoppedAt + TIMINGS.lockTtlMs + 500) - Date.now());
      h.redisProxy.setMode({ kind: 'pass' });
      h.process.child.kill('SIGCONT');
      stoppedMs = Date.now() - stoppedAt;
      stop = { from: stoppedAt, to: Date.now() };
      s.healed();
      const logged = () => REJECTED.test(h.process.output());
      // Failures are results here, asserted by the test once the scenario has healed the cluster.
      rejectionLogged = await waitUntil('the resumed holder to log its rejected write', logged, 5_000).then(
        () => true,
        () => false,
      );
      after = await cluster.record();
      s.note(`holder ${h.name} stopped ${stoppedMs} ms; ${REJECTED.exec(h.process.output())?.[0] ?? 'no rejection'}`);
      await inFlight.drained;
      // Back in the load balancer's rotation once it has caught up with the stored token.
      const current = async () => (await cluster.info(h)).fence === after?.fence;
      caughtUp = await waitUntil('the resumed holder to catch up', current, 5_000).then(
        () => true,
        () => false,
      );
      s.load.add(h.url);
    },
  );
  // Requests the holder had taken in (waiting for the token its hand-over paused) when it was
  // stopped are answered once it resumes, past their wait: like requests in flight to a replica
  // that dies, they fail with it (a load balancer retries them). Taken out of the judgement, counted.
  const h = holder!;
  const caughtInStop = (r: ServedRequest) =>
    r.target === h.url && r.startedAt <= stop.from && r.at >= stop.to && r.status === 503;
  const inStop = result.non200.filter(caughtInStop);
  const judged = { ...result, non200: result.non200.filter((r) => !caughtInStop(r)) };
  return { result: judged, inStop, holder: h, after: after!, window: window!, rejectionLogged, caughtUp };
}

/**
 * Every replica is replaced, one at a time, as an orchestrator rolls a deployment: a new
 * replica starts, becomes ready and joins the load balancer; the old one gets SIGTERM,
 * turns not-ready, leaves the rotation at the balancer's next check while it still serves
 * (its shutdown delay), then exits. A refresh falls inside.
 */
async function rollingRestart(cluster: FaultCluster) {
  const exitCodes: (number | null)[] = [];
  const redAfterMs: (number | undefined)[] = [];
  const result = await runScenario(
    cluster,
    { order: 10, name: 'rolling restart of all 3 replicas (SIGTERM)', extraUpstream: 1 },
    async (s) => {
      await s.beforeRefreshWindow(2_000);
      await s.faultStarted();
      for (const old of [...s.live()]) {
        s.load.add((await cluster.startReplica()).url);
        const sigtermAt = Date.now();
        const exited = old.process.stop('SIGTERM', 15_000);
        redAfterMs.push(await notReadyAfter(old.url, sigtermAt, TIMINGS.shutdownDelayMs));
        await s.load.remove(old.url);
        exitCodes.push(await exited);
        await cluster.forget(old);
      }
      s.healed();
      s.note(
        `readiness red ${redAfterMs.map((ms) => (ms === undefined ? 'never' : `${ms} ms`)).join(', ')} after SIGTERM`,
      );
    },
  );
  return { result, exitCodes, redAfterMs };
}

/** From the first 503 a caller got to the last one (0 with none): issue #17 wants at most 5 s after a holder's death. */
const span503Ms = (result: ScenarioResult) => {
  const at = result.non200.filter((s) => s.status === 503).map((s) => s.at);
  return at.length === 0 ? 0 : Math.max(...at) - Math.min(...at);
};

/**
 * Under revoke-previous the lost holder's request may have revoked the served token (Proof
 * answered the stopped one; the killed one's request was at Proof): nothing is servable
 * until another replica stores a newer token, a lock lease later, and callers whose wait
 * runs out meanwhile get 503. Under `new` and `reuse` the old token stays servable throughout.
 */
const noServableToken = (policy: Policy, window: Window) => (policy === 'revoke-previous' ? window : undefined);

/** The killed holder's scenario and its bounds; `checkIntervalMs`: the replicas' scheduler tick. */
async function expectHolderDeathBounded(cluster: FaultCluster, checkIntervalMs: number, name?: string, replace = true) {
  const { result, takeoverMs, window } = await holderKilled(cluster, name, replace);
  expectCallersUnharmed(result, noServableToken(cluster.policy, window));
  expect(span503Ms(result)).toBeLessThanOrEqual(5_000);
  // One lease (no renewal after the kill), a scheduler tick, (revoke-previous) the hand-over
  // pause and a request: not the lock TTL, and no wait for the dead holder to leave the registry.
  expect(takeoverMs).toBeLessThan(TIMINGS.lockLeaseMs + checkIntervalMs + 2_500);
}

describe.each<Policy>(['new', 'revoke-previous'])('replica faults, policy %s', (policy) => {
  const cluster = useFaultCluster(policy);

  it('lock holder SIGKILLed mid-refresh: another replica refreshes within the lock lease', async () => {
    await expectHolderDeathBounded(cluster(), Number(FAST_TIMINGS.BROKER_CHECK_INTERVAL_MS));
  }, 60_000);

  it('lock holder SIGSTOPped past the lock TTL, then SIGCONT: its late write is rejected by the fence', async () => {
    const { result, inStop, holder, after, window, rejectionLogged, caughtUp } = await holderPaused(cluster());
    expectCallersUnharmed(result, noServableToken(policy, window));
    // At most one request per caller loop can be caught inside the stopped replica.
    expect(inStop.length).toBeLessThanOrEqual(LOAD_CONCURRENCY);
    expect(rejectionLogged).toBe(true);
    expect(caughtUp).toBe(true);
    const rejected = REJECTED.exec(holder.process.output());
    expect(rejected).not.toBeNull();
    expect(Number(rejected![1])).toBeLessThan(after.fence);
    // The stored token is still the one another replica wrote, not the resumed holder's.
    expect(after.refreshedBy).not.toBe(holder.name);
  }, 60_000);

  it('rolling restart of all 3 replicas under load: every request answered 200', async () => {
    const { result, exitCodes, redAfterMs } = await rollingRestart(cluster());
    expectCallersUnharmed(result);
    expect(exitCodes).toEqual([0, 0, 0]);
    // Red well within the shutdown delay, so a balancer stops routing before the replica closes.
    for (const ms of redAfterMs) expect(ms).toBeLessThan(TIMINGS.shutdownDelayMs / 2);
  }, 90_000);
});

describe('replica faults, policy reuse', () => {
  const cluster = useFaultCluster('reuse');

  it('lock holder SIGKILLed mid-refresh: every request answered 200 (the old token stays valid)', async () => {
    await expectHolderDeathBounded(cluster(), Number(FAST_TIMINGS.BROKER_CHECK_INTERVAL_MS));
  }, 60_000);
});

/**
 * The same kill with the shipped lock, wait and scheduling defaults (lease 3 s, lock TTL 30 s,
 * upstream deadline 10 s, cold wait 5 s, check 1 s, reconcile 5 s so a presence TTL of 15 s):
 * the figure issue #17 asks for, not only the suite's shortened timings. Tokens stay short.
 */
describe('replica faults at the shipped lock and wait defaults, policy revoke-previous', () => {
  const defaults = new BrokerEnv();
  const shipped = {
    BROKER_LOCK_TTL_MS: String(defaults.BROKER_LOCK_TTL_MS),
    BROKER_UPSTREAM_TIMEOUT_MS: String(defaults.BROKER_UPSTREAM_TIMEOUT_MS),
    BROKER_COLD_WAIT_MS: String(defaults.BROKER_COLD_WAIT_MS),
    BROKER_CHECK_INTERVAL_MS: String(defaults.BROKER_CHECK_INTERVAL_MS),
    BROKER_RECONCILE_INTERVAL_MS: String(defaults.BROKER_RECONCILE_INTERVAL_MS),
  };
  const cluster = useFaultCluster('revoke-previous', shipped);

  // No replacement replica here: it takes seconds to start on a loaded host, and the scenario
  // would then reach the next refresh (4 s after the takeover with these 20 s tokens), whose
  // hand-over waits for the dead replica's registry entry to expire (up to the 15 s presence
  // TTL): an open finding of its own (docs/RELIABILITY.md), not the holder's lock.
  it('lock holder SIGKILLed mid-refresh: at most 5 s of 503s', async () => {
    // A new replica registry must be a presence TTL old (15 s here) before the first token is
    // asked for (and before any hand-over). The fault is timed against the first refresh after.
    const first = (await cluster().record())!.fence;
    await waitUntil('the first refresh', async () => ((await cluster().record())?.fence ?? 0) > first, 40_000, 200);
    const name = 'lock holder SIGKILLed mid-refresh, shipped lock/wait defaults';
    await expectHolderDeathBounded(cluster(), defaults.BROKER_CHECK_INTERVAL_MS, name, false);
  }, 120_000);
});
