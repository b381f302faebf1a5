// Part 7: the broker's /proof/* against a bare undici proxy forwarding the same requests to the
// same upstream (bench/fast-proof.ts), and against calling that upstream directly.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Compared, compare } from '../lib/load';
import { pairRatios, showSpread } from '../lib/ratios';
import { loadavg } from 'node:os';
import { Proc, startCpuMeter } from '../lib/processes';
import { summarizeProfile } from '../lib/profile';
import { BenchRedis, Callers, startBroker, startRedis, startScript, tempDir, writeCallersFile } from '../lib/services';
import type { BenchConfig } from './bench-config';

const PATH = '/v1/transactions/bench-1';

export interface ProxyResult {
  readonly broker: Compared;
  readonly bare: Compared;
  readonly direct: Compared;
  /** One connection, one request at a time: what a proxied call adds to a direct one. */
  readonly brokerAlone: Compared;
  readonly directAlone: Compared;
}

export async function runProxy(
  cfg: BenchConfig,
  { redis, callers }: { redis: BenchRedis; callers: Callers },
): Promise<ProxyResult> {
  const started: Proc[] = [];
  try {
    // The earlier parts' token (issued by the emulator) is still in this Redis: the broker would
    // serve it, and this part's upstream, which never issued it, would refuse it.
    await redis.client.flushall();
    const upstream = await startScript('fast-proof', {}, '/health');
    started.push(upstream.proc);
    const broker = await startBroker('proxy', {
      redisUrl: redis.url,
      emulatorUrl: upstream.url,
      callersPath: callers.path,
      nodeArgs: cfg.brokerNodeArgs,
      // The targets are judged at the shipped defaults.
      logLevel: 'log',
    });
    started.push(broker.proc);
    const caller = { authorization: `Bearer ${callers.key}` };
    const token = ((await (await fetch(`${broker.url}/token`, { headers: caller })).json()) as { access_token: string })
      .access_token;
    const bareEnv = { UPSTREAM_URL: upstream.url, BENCH_CALLER_KEY: callers.key, BENCH_TOKEN: token };
    // Profiling (`--cpu-prof`): the bare proxy too, under the same load, its profile beside the broker's.
    const profileDir = cfg.brokerNodeArgs[cfg.brokerNodeArgs.indexOf('--cpu-prof-dir') + 1];
    const bareArgs = cfg.brokerNodeArgs.includes('--cpu-prof')
      ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, 'bare')]
      : [];
    const bare = await startScript('bare-undici-proxy', bareEnv, `/proof${PATH}`, caller, bareArgs);
    started.push(bare.proc);
    const direct = { name: 'direct', url: `${upstream.url}${PATH}`, headers: { authorization: `Bearer ${token}` } };
    const brokerTarget = {
      name: 'broker',
      url: `${broker.url}/proof${PATH}`,
      headers: caller,
      pids: [broker.proc.pid],
    };
    const { rounds, warmupSeconds, seconds, connections } = cfg;
    const loaded = await compare(
      [brokerTarget, { name: 'bare', url: `${bare.url}/proof${PATH}`, headers: caller, pids: [bare.proc.pid] }, direct],
      { connections, seconds, rounds, warmupSeconds },
    );
    const alone = await compare([brokerTarget, direct], { connections: 1, seconds, rounds, warmupSeconds });
    return { ...loaded, brokerAlone: alone.broker, directAlone: alone.direct } as ProxyResult;
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

const row = (name: string, c: Compared) =>
  `| ${name} | ${Math.round(c.rps)} | ${c.p50.toFixed(2)} | ${c.p99.toFixed(2)} | ${Number.isNaN(c.cpuUs) ? '-' : Math.round(c.cpuUs)} | ${c.errors} |`;

/** `contention`: when part 7 ran alone, the machine's load during the run (the full bench says it in its header). */
export function renderProxy(result: ProxyResult, cfg: BenchConfig, contention?: string): string {
  const { broker, bare, direct, brokerAlone, directAlone } = result;
  const ratios = pairRatios(broker, bare);
  const [rps, p99] = [ratios.rps.median, ratios.p99.median];
  const verdict = (met: boolean) => (met ? 'met' : '**missed**');
  return `${START}
### 7. Proxy: \`/proof/*\` vs a bare undici proxy (${cfg.connections} connections, ${cfg.rounds} × ${cfg.seconds} s, medians)

\`GET /proof${PATH}\` through the broker and through \`bench/bare-undici-proxy.ts\`, both to
\`bench/fast-proof.ts\` (plain node:http); "direct" calls that upstream with the token.${contention ? `\nRun alone (\`npm run bench -- --proxy\`) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${contention}.` : ''}

| target | req/s | p50 ms | p99 ms | CPU µs/req | errors |
| --- | ---: | ---: | ---: | ---: | ---: |
${row('broker /proof/*', broker)}
${row('bare undici proxy', bare)}
${row('direct to the upstream', direct)}

Broker / bare proxy, the ratio of each round (the two measured seconds apart), median (range):
req/s ${showSpread(ratios.rps)}, p99 ${showSpread(ratios.p99)}, CPU µs per request ${showSpread(ratios.cpu)}.

Targets: req/s ≥ 0.8 × the bare proxy: ${rps.toFixed(2)} × (${verdict(rps >= 0.8)}); p99 ≤ 1.5 × the
bare proxy: ${p99.toFixed(2)} × (${verdict(p99 <= 1.5)}). The broker at the shipped defaults (production's
node flags, \`LOG_LEVEL=log\`, \`BROKER_ACCESS_LOG=aggregate\`, lines to /dev/null).
Latency a proxied call adds over a direct one, one connection, one request at a time: p50
${brokerAlone.p50.toFixed(2)} ms vs ${directAlone.p50.toFixed(2)} ms (+${(brokerAlone.p50 - directAlone.p50).toFixed(2)} ms),
p99 ${brokerAlone.p99.toFixed(2)} ms vs ${directAlone.p99.toFixed(2)} ms (+${(brokerAlone.p99 - directAlone.p99).toFixed(2)} ms).
${END}`;
}

const START = '<!-- part 7 -->';
const END = '<!-- /part 7 -->';

/**
 * Part 7 alone: prints its table and replaces its section in `doc` (before the analysis if it
 * has none yet). With `profileDir` (`--cpu-prof`: the broker profiled, one round) it prints
 * the profile's summary instead of touching `doc`.
 */
export async function runProxyOnly(cfg: BenchConfig, doc: string, profileDir?: string): Promise<void> {
  const dir = tempDir();
  const redis = await startRedis();
  try {
    const meter = startCpuMeter();
    const result = await runProxy(cfg, { redis, callers: writeCallersFile(dir) });
    const { others, steal } = meter.stop();
    const pct = (share: number) => `${Math.round(share * 100)} %`;
    const contention = `other work used ${pct(others)} of the machine's CPU and steal was ${pct(steal)} (load average ${loadavg()[0].toFixed(1)} at the end)`;
    const section = renderProxy(result, cfg, contention);
    process.stdout.write(`\n${section}\n`);
    if (profileDir) {
      for (const [who, dir] of [
        ['broker', profileDir],
        ['bare undici proxy', join(profileDir, 'bare')],
      ]) {
        const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) ?? '');
        process.stdout.write(`\n${who}: ${summarizeProfile(file)}\n\nprofile: ${file}\n`);
      }
      return;
    }
    if (cfg.quick || !existsSync(doc)) return;
    const text = readFileSync(doc, 'utf8');
    const [start, end] = [text.indexOf(START), text.indexOf(END)];
    const analysis = text.indexOf('<!-- analysis');
    const updated =
      start >= 0 && end > start
        ? `${text.slice(0, start)}${section}${text.slice(end + END.length)}`
        : `${text.slice(0, analysis)}${section}\n\n${text.slice(analysis)}`;
    writeFileSync(doc, updated);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
