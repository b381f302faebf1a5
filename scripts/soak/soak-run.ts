import { writeFileSync } from 'node:fs';
import { ExcuseWindows } from './excuse-windows';
import { SoakCallers } from './soak-callers';
import { SoakCluster, SoakPaths } from './soak-cluster';
import { Fault, FaultContext, FAULTS, seededRandom } from './soak-faults';
import { judgeSoak, SoakSummary } from './soak-verdict';
import { SoakWatch } from './soak-watch';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SoakOptions extends SoakPaths {
  readonly minutes: number;
  readonly seed?: number;
  /** Only the faults whose kind starts with one of these (a focused run); default every fault. */
  readonly faults?: readonly string[];
  /** HAProxy sends to every replica when none is ready (see renderHaproxyConfig); default on. */
  readonly failOpen?: boolean;
  /** Progress lines (each fault as it starts). */
  readonly log?: (line: string) => void;
  /** Every output line of every child process. */
  readonly onLine?: (source: string, line: string) => void;
  /** Called once the cluster is up, e.g. to record its secrets for a leak scan. */
  readonly onCluster?: (cluster: SoakCluster) => void;
}

const UPSTREAM_WINDOW_MS = 30_000;
/** Loops per profile: services with the client library, services through /proof/*. */
const CALLERS = { client: 2, proxy: 1 };

export interface FaultEvent {
  readonly kind: string;
  /** The profile the fault aimed at, or `all`. */
  profile: string;
  readonly at: number;
  readonly extraUpstream: number;
  /** The one replica it aimed at, if one. */
  replica?: string;
  endedAt?: number;
  error?: string;
}

/**
 * `npm run soak`: the cluster (one profile per token policy) under steady callers for
 * `minutes`, with random faults of both lanes all along; then the invariants are judged.
 */
export async function runSoak(options: SoakOptions): Promise<SoakSummary> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const log = options.log ?? (() => undefined);
  const cluster = await SoakCluster.start(options, options.failOpen ?? true, options.onLine);
  options.onCluster?.(cluster);
  const windows = new ExcuseWindows();
  const events: FaultEvent[] = [{ kind: 'boot', profile: 'all', at: Date.now(), extraUpstream: 3 }];
  const notes: string[] = [];
  const profiles = cluster.profiles.map((p) => ({ name: p.name, proofUrl: p.emulatorUrl }));
  const callers = new SoakCallers({ brokerUrl: cluster.url, key: cluster.keys.svc, profiles }, CALLERS);
  const watch = new SoakWatch(cluster, windows, UPSTREAM_WINDOW_MS);
  const started = Date.now();
  const until = started + options.minutes * 60_000;
  log(
    `soak for ${options.minutes} min, seed ${seed}: HAProxy ${cluster.url} (fail-open ${options.failOpen ?? true}), Redis ${cluster.redis.url}`,
  );
  callers.resume();
  try {
    const context: FaultContext = { cluster, random, windows, note: (text) => void notes.push(text) };
    const lane = (name: Fault['lane']) =>
      runLane(
        chosenFaults(options.faults).filter((f) => f.lane === name),
        until,
        context,
        events,
        log,
      );
    await Promise.all([lane('infra'), lane('upstream')]);
  } finally {
    await callers.stop();
    await watch.stop();
  }
  const ended = Date.now();
  windows.closeAll(ended);
  try {
    const summary = await judgeSoak({
      cluster,
      callers,
      watch,
      windows,
      events,
      notes,
      seed,
      started,
      ended,
      upstreamWindowMs: UPSTREAM_WINDOW_MS,
    });
    // SOAK_DUMP=file: the raw timeline (faults, failed calls, every window, stored fences, what each
    // replica answered: status and expiry, never a token) for an analysis the summary does not make.
    if (process.env.SOAK_DUMP) {
      const dump = {
        started,
        ended,
        events,
        failures: callers.failures,
        windows: windows.windows,
        fences: watch.fenceChanges,
        answers: watch.answerChanges,
      };
      writeFileSync(process.env.SOAK_DUMP, JSON.stringify(dump));
    }
    return summary;
  } finally {
    await cluster.stop();
  }
}

/** The faults a run draws from: every one, or those whose kind starts with one of `prefixes`. */
export function chosenFaults(prefixes?: readonly string[]): Fault[] {
  if (!prefixes?.length) return [...FAULTS];
  const unknown = prefixes.filter((p) => !FAULTS.some((f) => f.kind.startsWith(p)));
  if (unknown.length) throw new Error(`no fault kind starts with: ${unknown.join(', ')}`);
  return FAULTS.filter((f) => prefixes.some((p) => f.kind.startsWith(p)));
}

async function runLane(
  faults: Fault[],
  until: number,
  context: FaultContext,
  events: FaultEvent[],
  log: (line: string) => void,
) {
  while (Date.now() < until) {
    await sleep(context.random.int(1_000, 4_000));
    if (Date.now() >= until) break;
    const left = until - Date.now();
    const fault = context.random.pick(faults.filter((f) => (f.minRemainingMs ?? 5_000) <= left));
    if (!fault) break;
    const event: FaultEvent = { kind: fault.kind, profile: 'all', at: Date.now(), extraUpstream: fault.extraUpstream };
    events.push(event);
    try {
      event.profile = (await fault.run({ ...context, target: (replica) => (event.replica = replica) })) ?? 'all';
      event.endedAt = Date.now();
      log(
        `  ${((event.at - events[0].at) / 1000).toFixed(1)} s ${fault.kind}${event.profile === 'all' ? '' : ` (${event.profile})`}`,
      );
    } catch (error) {
      // A fault that could not be healed leaves the cluster broken: say so and stop the run.
      event.error = (error as Error).message;
      throw new Error(`fault ${fault.kind} failed: ${event.error}`);
    }
  }
}
