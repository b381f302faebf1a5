// `npm run bench -- --pino`: what an access line costs pino alone (bench/pino-line.ts, in the
// bench process before any load) and what it costs the broker: two replicas at the shipped
// defaults but one with BROKER_ACCESS_LOG=all (a line per GET /token) interleaved in the same
// rounds; the difference of their CPU per request is the broker's cost of one line.
import { loadavg } from 'node:os';
import { measureLines } from '../pino-line';
import { compare } from '../lib/load';
import { startCpuMeter } from '../lib/processes';
import { pairRatios, showSpread, spread } from '../lib/ratios';
import { startBroker, startStudyServices } from '../lib/services';
import type { BenchConfig } from './bench-config';

export async function runPino(cfg: BenchConfig): Promise<string> {
  const meter = startCpuMeter();
  const alone = await measureLines(cfg.quick ? 20_000 : 200_000);
  const { callers, brokerOptions: options, started, stop } = await startStudyServices(cfg.longTtl);
  try {
    const aggregate = await startBroker('aggregate', options);
    started.push(aggregate.proc);
    const all = await startBroker('all', { ...options, env: { BROKER_ACCESS_LOG: 'all' } });
    started.push(all.proc);
    const headers = { authorization: `Bearer ${callers.key}` };
    const runs = await compare(
      [
        { name: 'aggregate', url: `${aggregate.url}/token`, headers, pids: [aggregate.proc.pid] },
        { name: 'all', url: `${all.url}/token`, headers, pids: [all.proc.pid] },
      ],
      { connections: cfg.connections, seconds: cfg.seconds, rounds: cfg.rounds, warmupSeconds: cfg.warmupSeconds },
    );
    const { others } = meter.stop();
    const perLine = runs.all.perRound.map((r, i) => r.cpuUs - runs.aggregate.perRound[i].cpuUs);
    const ratios = pairRatios(runs.all, runs.aggregate);
    const lines = alone.map(
      (r) => `| ${r.destination} | ${r.perTurn} | ${r.mainUs.toFixed(1)} | ${r.cpuUs.toFixed(1)} |`,
    );
    return `### What an access line costs: pino alone vs in the broker

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, other work used ${Math.round(others * 100)} % of the machine's CPU, load average ${loadavg()[0].toFixed(1)} at the end.

Pino alone (\`bench/pino-line.ts\`, the broker's access line, to /dev/null), µs per line, the event-loop turns' own cost taken off:

| destination | lines per turn | main thread | whole process |
| --- | ---: | ---: | ---: |
${lines.join('\n')}

In the broker (\`GET /token\`, ${cfg.connections} connections, ${cfg.rounds} × ${cfg.seconds} s interleaved, both at the shipped
defaults but \`BROKER_ACCESS_LOG=all\` on one): CPU ${Math.round(runs.all.cpuUs)} vs ${Math.round(runs.aggregate.cpuUs)} µs per
request (median of the rounds), a line costing ${showSpread(spread(perLine))} µs (median of the rounds' differences,
range); req/s ratio ${showSpread(ratios.rps)}, CPU ratio ${showSpread(ratios.cpu)}.`;
  } finally {
    await stop();
  }
}
