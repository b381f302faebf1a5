// `npm run bench -- --rss`: RSS per replica at the shipped defaults, judged on the median of
// several identical replicas (two started seconds apart once differed by 7-10 MB after the same
// load, docs/BENCHMARKS.md): REPLICAS replicas started one after the other, GET /token on each
// in interleaved rounds, VmRSS and RssAnon idle and after the load. With `--variant "<spec>"`
// (repeatable, bench/lib/variant.ts) REPLICAS replicas of each variant run beside the defaults'
// ones, started and loaded interleaved, each variant judged on its own median.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { compare } from '../lib/load';
import { rssMb, sleep } from '../lib/processes';
import { Spread, spread } from '../lib/ratios';
import { Broker, startBroker, startStudyServices } from '../lib/services';
import { DEFAULTS, describeVariant, Variant } from '../lib/variant';
import type { BenchConfig } from './bench-config';

const REPLICAS = 5;

/** RssAnon of `pid` in MB (the process's own pages; VmRSS adds the node binary's, shared). */
const rssAnonMb = (pid: number): number =>
  Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

interface Replica {
  readonly variant: Variant;
  readonly broker: Broker;
  idle?: number;
  idleAnon?: number;
  /** VmRSS as its last round of load ended (the others' rounds follow: V8 may shrink it meanwhile). */
  endOfLoad?: number;
  loaded?: number;
  loadedAnon?: number;
}

export async function runRss(cfg: BenchConfig, variants: Variant[] = []): Promise<string> {
  const all = [DEFAULTS, ...variants];
  const { callers, brokerOptions, started, stop } = await startStudyServices(cfg.longTtl);
  try {
    const replicas: Replica[] = [];
    // Round-robin over the variants: none is favoured by starting first on a quiet machine.
    for (let i = 1; i <= REPLICAS; i++) {
      for (const variant of all) {
        const name = all.length > 1 ? `${variant.name}-${i}` : `rss-${i}`;
        const broker = await startBroker(name, {
          ...brokerOptions,
          nodeArgs: variant.nodeArgs,
          env: variant.env,
          ...(variant.main ? { main: variant.main } : {}),
        });
        started.push(broker.proc);
        replicas.push({ variant, broker });
      }
    }
    await sleep(1_000);
    for (const r of replicas) [r.idle, r.idleAnon] = [rssMb(r.broker.proc.pid), rssAnonMb(r.broker.proc.pid)];
    const headers = { authorization: `Bearer ${callers.key}` };
    const rounds = cfg.quick ? 1 : 3;
    const runs = await compare(
      replicas.map(({ broker: b }) => ({ name: b.name, url: `${b.url}/token`, headers, pids: [b.proc.pid] })),
      {
        connections: cfg.connections,
        seconds: cfg.seconds,
        rounds,
        warmupSeconds: cfg.warmupSeconds,
        afterEach: (target, round) => {
          const replica = replicas.find((r) => r.broker.name === target.name);
          if (replica && round === rounds - 1) replica.endOfLoad = rssMb(replica.broker.proc.pid);
        },
      },
    );
    await sleep(1_000);
    for (const r of replicas) [r.loaded, r.loadedAnon] = [rssMb(r.broker.proc.pid), rssAnonMb(r.broker.proc.pid)];
    const f1 = (v = NaN) => v.toFixed(1);
    const rows = replicas.map(
      ({ broker: b, idle, idleAnon, endOfLoad, loaded, loadedAnon }) =>
        `| ${b.name} | ${Math.round(b.readyMs)} | ${f1(idle)} | ${f1(idleAnon)} | ${f1(endOfLoad)} | ${f1(loaded)} | ${f1(loadedAnon)} | ${Math.round(runs[b.name].rps)} | ${Math.round(runs[b.name].cpuUs)} |`,
    );
    const of = (v: Variant, pick: (r: Replica) => number = () => NaN) =>
      spread(replicas.filter((r) => r.variant === v).map(pick));
    const range = (sp: Spread, digits = 1) =>
      `${sp.median.toFixed(digits)} (${sp.min.toFixed(digits)}–${sp.max.toFixed(digits)})`;
    const summary = all.map((v) => {
      const target = of(v, (r) => r.loaded ?? NaN).median <= 100 ? 'met' : '**missed**';
      const cpu = of(v, (r) => runs[r.broker.name].cpuUs);
      return `| ${v.name} | ${describeVariant(v)} | ${range(of(v, (r) => r.idle ?? NaN))} | ${range(of(v, (r) => r.endOfLoad ?? NaN))} | ${range(of(v, (r) => r.loaded ?? NaN))} | ${range(of(v, (r) => r.loadedAnon ?? NaN))} | ${range(
        of(v, (r) => r.broker.readyMs),
        0,
      )} | ${Math.round(cpu.median)} | ${target} |`;
    });
    const f = (x: number) => x.toFixed(1);
    return `### RSS per replica (${REPLICAS} replicas${all.length > 1 ? ` of each of ${all.length} variants` : ' at the shipped defaults'}, \`GET /token\` ${cfg.connections} connections, ${rounds} × ${cfg.seconds} s each, interleaved)

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${f(loadavg()[0])} at the end (the share of other work, under the table, is measured once the replicas have exited: their CPU is not counted as other work).
Replicas at production's node flags, \`LOG_LEVEL=log\`, \`BROKER_ACCESS_LOG=aggregate\`, one Redis, started one after the other.

| replica | spawn to ready ms | RSS idle MB | RssAnon idle MB | RSS at the end of its load MB | RSS after load MB | RssAnon after load MB | req/s | CPU µs/req |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Median (range) of each variant's replicas; the target, RSS ≤ 100 MB after load, on the median:

| variant | beyond the shipped defaults | RSS idle MB | RSS at the end of its load MB | RSS after load MB | RssAnon after load MB | ready ms | CPU µs/req | after load ≤ 100 MB |
| --- | --- | --- | --- | --- | --- | --- | ---: | --- |
${summary.join('\n')}`;
  } finally {
    await stop();
  }
}
