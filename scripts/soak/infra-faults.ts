import { setTimeout as sleep } from 'node:timers/promises';
import type { SoakReplica } from './soak-cluster';
import type { FaultMode } from '../lib/fault-proxy';
import type { Fault, FaultContext, Random } from './fault-kinds';

/**
 * Under revoke-previous a replica that dies or stops after its hand-over (the `handover`
 * field) may take the only token that could be served with it: nothing is servable until
 * the next lock holder stores one. Read before and after the signal (a hand-over recorded in
 * between counts too).
 */
async function signalReplica(context: FaultContext, replica: SoakReplica, signal: NodeJS.Signals, what: string) {
  const { cluster } = context;
  const before = await cluster.redis.stored('revoke-previous');
  const at = Date.now();
  context.target?.(replica.name);
  await cluster.stopReplica(replica, signal);
  const after = await cluster.redis.stored('revoke-previous');
  const handover = before.handover ?? after.handover;
  if (handover !== undefined)
    context.windows.open(
      'revoke-previous',
      `${replica.name} ${what} with hand-over ${handover} pending (it may be the lock holder)`,
      at,
      Math.max(before.fence ?? 0, after.fence ?? 0),
    );
}

/** A fault on the replicas' paths to Redis (their fault proxies): all of them, or one. */
function pathFault(
  kind: string,
  extraUpstream: number,
  oneReplica: boolean,
  mode: (random: Random) => FaultMode,
  [min, max] = [2_000, 6_000],
): Fault {
  return {
    kind,
    lane: 'infra',
    extraUpstream,
    async run({ cluster, random, target }) {
      const only = oneReplica ? random.pick(cluster.replicas) : undefined;
      if (only) target?.(only.name);
      cluster.setRedisMode(mode(random), only);
      await sleep(random.int(min, max));
      cluster.setRedisMode({ kind: 'pass' }, only);
    },
  };
}

/** Redis down, emptied, paused, slow or cut off, for every replica or one. */
export const redisFaults: Fault[] = [
  {
    kind: 'redis-kill (down 1-4 s, back empty)',
    lane: 'infra',
    extraUpstream: 2,
    async run({ cluster, random }) {
      await cluster.redis.kill();
      await sleep(random.int(1_000, 4_000));
      await cluster.redis.start();
    },
  },
  {
    kind: 'redis-restart-empty',
    lane: 'infra',
    extraUpstream: 2,
    async run({ cluster }) {
      await cluster.redis.kill();
      await cluster.redis.start();
    },
  },
  {
    kind: 'redis-pause (SIGSTOP 1-4 s)',
    lane: 'infra',
    extraUpstream: 2,
    async run({ cluster, random }) {
      cluster.redis.signal('SIGSTOP');
      await sleep(random.int(1_000, 4_000));
      cluster.redis.signal('SIGCONT');
    },
  },
  pathFault('redis-latency (100-400 ms, 2-6 s)', 1, false, (r) => ({ kind: 'latency', ms: r.int(100, 400) })),
  pathFault('redis-blackhole (2-5 s)', 2, false, () => ({ kind: 'blackhole' }), [2_000, 5_000]),
  pathFault('replica-redis-blackhole (one replica, 2-5 s)', 2, true, () => ({ kind: 'blackhole' }), [2_000, 5_000]),
  pathFault('replica-redis-latency (one replica, 200-800 ms, 2-6 s)', 1, true, (r) => ({
    kind: 'latency',
    ms: r.int(200, 800),
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
