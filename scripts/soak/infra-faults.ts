import { setTimeout as sleep } from 'node:timers/promises';
import type { SoakCluster, SoakReplica } from './soak-cluster';
import type { FaultMode } from '../lib/fault-proxy';
import { CUT_OFF_SETTLE_MS, type ExcuseWindow } from './excuse-windows';
import type { Fault, FaultContext, Random } from './fault-kinds';

/** The most a one-replica latency fault adds to its path to Redis, each way. */
export const REPLICA_LATENCY_MAX_MS = 800;

/** How often a fault reads Redis for a hand-over while it lasts. */
const HAND_OVER_POLL_MS = 100;

/**
 * Runs `fault` and, if a revoke-previous hand-over (the `handover` field) was pending before,
 * during or after it (read every HAND_OVER_POLL_MS), opens a window from its start, named by
 * `cause(handover)`, until a newer token is stored: the served token is paused, and taken as
 * revoked (the holder may have asked Proof), until the next lock holder stores one. Resolves
 * with that window and the replica that recorded the hand-over, if one was opened.
 */
export async function withHandOverWindow(
  context: Pick<FaultContext, 'cluster' | 'windows'>,
  cause: (handover: number) => string,
  fault: () => Promise<void>,
): Promise<{ window: ExcuseWindow; holder?: string } | undefined> {
  const { cluster, windows } = context;
  let fence = 0;
  let pending: { handover: number; holder?: string } | undefined;
  const note = (stored: Awaited<ReturnType<SoakCluster['redis']['stored']>>) => {
    fence = Math.max(fence, stored.fence ?? 0);
    if (stored.handover !== undefined) pending ??= { handover: stored.handover, holder: stored.handoverBy };
  };
  note(await cluster.redis.stored('revoke-previous'));
  const at = Date.now();
  // Read all along: a hand-over recorded and ended while the fault lasts counts too.
  let faulting = true;
  const watching = (async () => {
    while (faulting) {
      note(await cluster.redis.stored('revoke-previous'));
      await sleep(HAND_OVER_POLL_MS);
    }
  })();
  try {
    await fault();
  } finally {
    faulting = false;
    await watching;
  }
  note(await cluster.redis.stored('revoke-previous'));
  if (pending === undefined) return undefined;
  windows.open('revoke-previous', cause(pending.handover), at, fence);
  return { window: windows.windows[windows.windows.length - 1], holder: pending.holder };
}

/**
 * Under revoke-previous a replica that dies or stops after its hand-over may take the only
 * token that could be served with it: nothing is servable until the next lock holder stores one.
 */
async function signalReplica(context: FaultContext, replica: SoakReplica, signal: NodeJS.Signals, what: string) {
  context.target?.(replica.name);
  await withHandOverWindow(
    context,
    (handover) => `${replica.name} ${what} with hand-over ${handover} pending (it may be the lock holder)`,
    () => context.cluster.stopReplica(replica, signal),
  );
}

/**
 * Redis out of reach of every replica with a hand-over pending: no acknowledgement, no
 * hand-over end and no write can reach it, so every replica keeps the token paused until Redis
 * is back and the next holder, a lock lease later, stores a new one (RELIABILITY.md, "not
 * guaranteed"). Also the first hand-over after Redis came back empty, which waits the presence TTL.
 */
const REDIS_AWAY_CAUSE = (handover: number) =>
  `Redis out of reach of every replica with hand-over ${handover} pending: the token stays paused until a new one is stored`;

/**
 * One replica cut off from Redis with a hand-over pending. The holder (it recorded the
 * hand-over): as a stopped holder, nothing is servable until the next holder stores a token.
 * Another replica: callers the load balancer sends to it fail until it is back (the failed
 * calls do not say which replica answered).
 */
const CUT_OFF_CAUSE = (replica: string) => (handover: number) =>
  `${replica} cut off from Redis with hand-over ${handover} pending: it serves the paused token only once it reads the hand-over's end or a new token`;

/**
 * A window `withHandOverWindow` opened for `replica`, cut off from Redis until `healedAt`: if
 * another replica recorded the hand-over, this one acknowledged it and keeps the token paused
 * until it reads the hand-over's end or a newer record, which it can only once its path is
 * back: the window ends then (plus the settle time), whether or not a newer token came meanwhile.
 */
export function endForBystander(
  opened: { window: ExcuseWindow; holder?: string } | undefined,
  replica: string,
  healedAt: number,
): void {
  if (opened && opened.holder !== replica) opened.window.to = healedAt + CUT_OFF_SETTLE_MS;
}

/** A fault on the replicas' paths to Redis (their fault proxies): all of them, or one. */
function pathFault(
  kind: string,
  extraUpstream: number,
  oneReplica: boolean,
  mode: (random: Random) => FaultMode,
  [min, max] = [2_000, 6_000],
  cutsOff = false,
): Fault {
  return {
    kind,
    lane: 'infra',
    extraUpstream,
    async run(context) {
      const { cluster, random, target } = context;
      const only = oneReplica ? random.pick(cluster.replicas) : undefined;
      if (only) target?.(only.name);
      const fault = async () => {
        cluster.setRedisMode(mode(random), only);
        await sleep(random.int(min, max));
        cluster.setRedisMode({ kind: 'pass' }, only);
      };
      if (!cutsOff) return void (await fault());
      if (!only) return void (await withHandOverWindow(context, REDIS_AWAY_CAUSE, fault));
      endForBystander(await withHandOverWindow(context, CUT_OFF_CAUSE(only.name), fault), only.name, Date.now());
    },
  };
}

/** Redis down, emptied, paused, slow or cut off, for every replica or one. */
export const redisFaults: Fault[] = [
  {
    kind: 'redis-kill (down 1-4 s, back empty)',
    lane: 'infra',
    extraUpstream: 2,
    async run(context) {
      const { cluster, random } = context;
      await withHandOverWindow(context, REDIS_AWAY_CAUSE, async () => {
        await cluster.redis.kill();
        await sleep(random.int(1_000, 4_000));
        await cluster.redis.start();
      });
    },
  },
  {
    kind: 'redis-restart-empty',
    lane: 'infra',
    extraUpstream: 2,
    async run(context) {
      const { cluster } = context;
      await withHandOverWindow(context, REDIS_AWAY_CAUSE, async () => {
        await cluster.redis.kill();
        await cluster.redis.start();
      });
    },
  },
  {
    kind: 'redis-pause (SIGSTOP 1-4 s)',
    lane: 'infra',
    extraUpstream: 2,
    async run(context) {
      const { cluster, random } = context;
      await withHandOverWindow(context, REDIS_AWAY_CAUSE, async () => {
        cluster.redis.signal('SIGSTOP');
        await sleep(random.int(1_000, 4_000));
        cluster.redis.signal('SIGCONT');
      });
    },
  },
  pathFault('redis-latency (100-400 ms, 2-6 s)', 1, false, (r) => ({ kind: 'latency', ms: r.int(100, 400) })),
  pathFault('redis-blackhole (2-5 s)', 2, false, () => ({ kind: 'blackhole' }), [2_000, 5_000], true),
  pathFault('replica-redis-blackhole (one replica, 2-5 s)', 2, true, () => ({ kind: 'blackhole' }), [2_000, 5_000], true),
  pathFault('replica-redis-latency (one replica, 200-800 ms, 2-6 s)', 1, true, (r) => ({
    kind: 'latency',
    ms: r.int(200, REPLICA_LATENCY_MAX_MS),
  })),
];

/** Replicas killed, paused, restarted one by one. */
export const replicaFaults: Fault[] = [
  {
    kind: 'replica-sigkill (restarted after 1-3 s)',
    lane: 'infra',
    extraUpstream: 2,
    async run(context) {
      const replica = context.random.pick(context.cluster.readyReplicas());
      await signalReplica(context, replica, 'SIGKILL', 'SIGKILLed');
      await sleep(context.random.int(1_000, 3_000));
      await context.cluster.startReplica(replica);
      await context.cluster.waitAllInRotation();
    },
  },
  {
    kind: 'replica-sigstop (1-4 s, then SIGCONT)',
    lane: 'infra',
    extraUpstream: 2,
    async run(context) {
      const replica = context.random.pick(context.cluster.readyReplicas());
      await signalReplica(context, replica, 'SIGSTOP', 'SIGSTOPped');
      await sleep(context.random.int(1_000, 4_000));
      await context.cluster.stopReplica(replica, 'SIGCONT');
      await context.cluster.waitAllInRotation();
    },
  },
  {
    kind: 'rolling-restart (SIGTERM, one replica at a time)',
    lane: 'infra',
    minRemainingMs: 60_000,
    extraUpstream: 3,
    async run({ cluster }) {
      for (const replica of cluster.replicas) {
        await cluster.stopReplica(replica, 'SIGTERM');
        await cluster.startReplica(replica);
        await cluster.waitAllInRotation();
      }
    },
  },
];
