// `npm run bench` (writes docs/BENCHMARKS.md), `npm run bench:quick` (smoke run: every part, short,
// results in bench/results/ only), `npm run bench -- --cpu-prof` (profiles one replica under load),
// `npm run bench -- --proxy [--cpu-prof]` (part 7 alone), `npm run bench -- --semi-space` (the young
// generation's size vs req/s and RSS), `npm run bench -- --pino` (an access line's cost, pino
// alone vs in the broker), `npm run bench -- --rss` (RSS of five replicas at the defaults),
// `npm run bench -- --token` (parts 1, 2 alone) and `npm run bench -- --ab <main.js>` (this build
// vs another build's broker, GET /token and /proof/*, side by side), each into bench/results/.
// `--rounds N` changes the number of rounds of any of them. `--rss --variant "<spec>"` (repeatable)
// adds replicas of other start settings beside the defaults' and `--ab <main.js> --head "<spec>"`
// starts this build's broker with other settings (bench/lib/variant.ts).
// Targets are reported, never asserted: the exit status is 1 only if something crashed.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { BenchConfig, benchConfig } from './parts/bench-config';
import { ReplicasResult, runReplicas } from './parts/replicas';
import { runSingle } from './parts/single';
import { runStartup } from './parts/startup';
import { runSemiSpace } from './parts/semi-space';
import { runPino } from './parts/pino';
import { runRss } from './parts/rss';
import { runClient } from './parts/client';
import { runAb } from './parts/ab';
import { parseVariant } from './lib/variant';
import { ProxyResult, renderProxy, runProxy, runProxyOnly } from './parts/proxy';
import { keptNotes, renderDocument } from './lib/document';
import { requireHaproxy } from './lib/haproxy';
import { killAll, ROOT, sleep, startCpuMeter } from './lib/processes';
import { summarizeProfile } from './lib/profile';
import { requireBuilt, startEmulator, startRedis, tempDir, writeCallersFile } from './lib/services';
import { Results, renderSingle, renderTables } from './lib/tables';

const RESULTS = join(ROOT, 'bench', 'results');
const DOC = join(ROOT, 'docs', 'BENCHMARKS.md');

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const pct = (share: number) => `${Math.round(share * 100)} %`;

/** What the rest of the machine did during a run, for the figures' header. */
function contentionOf({ others, steal }: { others: number; steal: number }, loadBefore: number): string {
  return `other work used ${pct(others)} of the machine's CPU and steal was ${pct(steal)} (load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end)`;
}

/** Parts 1, 2 alone: one replica at the defaults and at `warn` vs the bare servers and the naive broker. */
async function runTokenOnly(cfg: BenchConfig): Promise<string> {
  const dir = tempDir();
  const redis = await startRedis();
  const emulator = await startEmulator(cfg.longTtl);
  try {
    const single = await runSingle(cfg, { redis, emulator, callers: writeCallersFile(dir) });
    return renderSingle(single, cfg);
  } finally {
    await Promise.all([emulator.proc.stop(), redis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts Redis and the emulators, runs every part, and stops everything it started. */
async function runParts(
  cfg: BenchConfig,
  profileDir?: string,
): Promise<(Results & { proxy: ProxyResult }) | undefined> {
  const dir = tempDir();
  const callers = writeCallersFile(dir);
  const redis = await startRedis();
  const longTokens = await startEmulator(cfg.longTtl);
  const shortTokens = await startEmulator(cfg.shortTtl);
  try {
    const context = { redis, emulator: longTokens, callers };
    if (profileDir) {
      log(`profiling one replica under load (${cfg.seconds} s)`);
      await runSingle(cfg, context);
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile')) ?? '';
      process.stdout.write(`${summarizeProfile(join(profileDir, file))}\n\nprofile: ${join(profileDir, file)}\n`);
      return undefined;
    }
    log(`part 5: ${cfg.startupRuns} cold start(s) of one replica`);
    const startup = await runStartup(cfg.startupRuns, context);
    log(`parts 1, 2: one replica vs bare Fastify vs naive broker (${cfg.rounds} × ${cfg.seconds} s)`);
    const single = await runSingle(cfg, context);
    const replicas: ReplicasResult[] = [];
    for (const count of cfg.replicaCounts) {
      log(`parts 3, 4: ${count} replica(s) behind HAProxy (${cfg.clusterSeconds} s)`);
      replicas.push(await runReplicas(count, cfg, { redis, emulator: shortTokens, callers, dir }));
    }
    log('part 6: BrokerClient.getToken() on a cached token');
    const client = await runClient(cfg.quick);
    log(`part 7: /proof/* vs a bare undici proxy (${cfg.rounds} × ${cfg.seconds} s)`);
    const proxy = await runProxy(cfg, { redis, callers });
    return { startup, single, replicas, client, proxy };
  } finally {
    await Promise.all([longTokens.proc.stop(), shortTokens.proc.stop(), redis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const began = Date.now();
  const quick = process.argv.includes('--quick');
  const profileDir = process.argv.includes('--cpu-prof') ? join(RESULTS, 'profiles', String(began)) : undefined;
  const flag = (name: string) => {
    const at = process.argv.indexOf(name);
    return at < 0 ? undefined : process.argv[at + 1];
  };
  const every = (name: string) => process.argv.flatMap((arg, i) => (arg === name ? [process.argv[i + 1]] : []));
  const rounds = Number(flag('--rounds') ?? NaN);
  const defaults = benchConfig(quick, profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []);
  const cfg = Number.isInteger(rounds) && rounds > 0 ? { ...defaults, rounds } : defaults;
  requireBuilt();
  // `npm run bench -- --proxy`: part 7 alone, its section of docs/BENCHMARKS.md replaced
  // (with `--cpu-prof`: its broker profiled, the profile summarized, the document untouched).
  if (process.argv.includes('--proxy')) return runProxyOnly(cfg, DOC, profileDir);
  // Studies beside the full run, each into bench/results/<name>.md.
  const study = (['semi-space', 'pino', 'rss', 'token', 'ab'] as const).find((name) =>
    process.argv.includes(`--${name}`),
  );
  if (study && !profileDir) {
    const run = {
      pino: () => runPino(cfg),
      'semi-space': () => runSemiSpace(cfg),
      rss: () => runRss(cfg, every('--variant').map(parseVariant)),
      token: () => runTokenOnly(cfg),
      ab: () => runAb(cfg, resolve(flag('--ab') ?? ''), parseVariant(flag('--head') ?? 'head')),
    }[study];
    const [meter, loadBefore] = [startCpuMeter(), loadavg()[0]];
    const figures = await run();
    const section = `${figures}\n\nDuring the run ${contentionOf(meter.stop(), loadBefore)}.`;
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `${study}.md`), `${section}\n`);
    process.stdout.write(`\n${section}\n`);
    return;
  }
  requireHaproxy();
  mkdirSync(RESULTS, { recursive: true });
  // The figures assume a machine doing nothing else: say so when it is not.
  const idle = startCpuMeter();
  await sleep(1_000);
  const before = idle.stop().others;
  if (before > 0.15) log(`warning: other work used ${pct(before)} of the machine's CPU; figures will be skewed`);

  const meter = startCpuMeter();
  const loadBefore = loadavg()[0];
  const results = await runParts(cfg, profileDir);
  const used = meter.stop();
  if (!results) return;
  const elapsedSeconds = Math.round((Date.now() - began) / 1000);
  const tables = `${renderTables(results, cfg)}\n\n${renderProxy(results.proxy, cfg)}`;
  const contention = contentionOf(used, loadBefore);
  process.stdout.write(`\n${tables}\n\nbench took ${elapsedSeconds} s (after the build); during it ${contention}\n`);
  const meta = {
    command: quick ? 'npm run bench:quick' : 'npm run bench',
    date: `${new Date(began).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    elapsedSeconds,
    contention,
  };
  writeFileSync(join(RESULTS, `${quick ? 'quick' : 'full'}.json`), JSON.stringify({ cfg, meta, results }, null, 2));
  // Quick numbers are a smoke test, not figures: they never replace the committed ones.
  const target = quick ? join(RESULTS, 'quick.md') : DOC;
  mkdirSync(join(target, '..'), { recursive: true });
  writeFileSync(target, renderDocument(tables, meta, keptNotes(DOC), cfg));
  log(`wrote ${target}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killAll();
    process.exit(1);
  },
);
