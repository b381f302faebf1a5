// `npm run bench -- --rss`: RSS per replica at the shipped defaults, judged on the median of
// several identical replicas (two started seconds apart once differed by 7-10 MB after the same
// load, docs/BENCHMARKS.md): REPLICAS replicas started one after the other, GET /token on each
// in interleaved rounds, VmRSS and RssAnon idle and after the load.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { compare } from '../lib/load';
import { rssMb, sleep, startCpuMeter } from '../lib/processes';
import { showSpread, spread } from '../lib/ratios';
import { Broker, startBroker, startStudyServices } from '../lib/services';
import type { BenchConfig } from './bench-config';

const REPLICAS = 5;

/** RssAnon of `pid` in MB (the process's own pages; VmRSS adds the node binary's, shared). */
const rssAnonMb = (pid: number): number =>
  Number(/^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

export async function runRss(cfg: BenchConfig): Promise<string> {
  const meter = startCpuMeter();
  const { callers, brokerOptions, started, stop } = await startStudyServices(cfg.longTtl);
  try {
    const brokers: Broker[] = [];
    for (let i = 1; i <= REPLICAS; i++) {
      const broker = await startBroker(`rss-${i}`, brokerOptions);
      started.push(broker.proc);
      brokers.push(broker);
    }
    await sleep(1_000);
    const idle = brokers.map((b) => rssMb(b.proc.pid));
    const idleAnon = brokers.map((b) => rssAnonMb(b.proc.pid));
    const headers = { authorization: `Bearer ${callers.key}` };
    const runs = await compare(
      brokers.map((b) => ({ name: b.name, url: `${b.url}/token`, headers, pids: [b.proc.pid] })),
      {
        connections: cfg.connections,
        seconds: cfg.seconds,
        rounds: cfg.quick ? 1 : 3,
        warmupSeconds: cfg.warmupSeconds,
      },
    );
    await sleep(1_000);
    const loaded = brokers.map((b) => rssMb(b.proc.pid));
    const loadedAnon = brokers.map((b) => rssAnonMb(b.proc.pid));
    const { others } = meter.stop();
    const f1 = (v: number) => v.toFixed(1);
    const rows = brokers.map(
      (b, i) =>
        `| ${b.name} | ${Math.round(b.readyMs)} | ${f1(idle[i])} | ${f1(idleAnon[i])} | ${f1(loaded[i])} | ${f1(loadedAnon[i])} | ${Math.round(runs[b.name].rps)} | ${Math.round(runs[b.name].cpuUs)} |`,
    );
    const target = spread(loaded).median <= 100 ? 'met' : '**missed**';
    return `### RSS per replica at the shipped defaults (${REPLICAS} replicas, \`GET /token\` ${cfg.connections} connections, ${cfg.quick ? 1 : 3} × ${cfg.seconds} s each, interleaved)

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, other work used ${Math.round(others * 100)} % of the machine's CPU, load average ${loadavg()[0].toFixed(1)} at the end.
Replicas at production's node flags, \`LOG_LEVEL=log\`, \`BROKER_ACCESS_LOG=aggregate\`, one Redis, started one after the other.

| replica | spawn to ready ms | RSS idle MB | RssAnon idle MB | RSS after load MB | RssAnon after load MB | req/s | CPU µs/req |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Median (range): RSS idle ${showSpread(spread(idle))} MB, after load ${showSpread(spread(loaded))} MB (RssAnon ${showSpread(spread(loadedAnon))} MB);
ready ${showSpread(spread(brokers.map((b) => b.readyMs)))} ms. Target RSS ≤ 100 MB after load (median): ${target}.`;
  } finally {
    await stop();
  }
}
