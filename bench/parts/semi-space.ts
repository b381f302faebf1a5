// `npm run bench -- --semi-space`: the young generation's size (`--max-semi-space-size`, MB)
// against req/s, CPU per request and RSS, for GET /token and /proof/*, brokers at the shipped
// defaults otherwise. Every size runs at once, interleaved in the same rounds with the bare
// servers, so each figure is a ratio taken seconds apart (bench/lib/ratios.ts).
import { loadavg } from 'node:os';
import { copyTokenAnswer } from '../lib/copied-answer';
import { Compared, compare, Target } from '../lib/load';
import { Proc, rssMb, sleep, startCpuMeter } from '../lib/processes';
import { pairRatios, showSpread } from '../lib/ratios';
import { Broker, startBroker, startRedis, startScript, tempDir, writeCallersFile } from '../lib/services';
import type { BenchConfig } from './bench-config';

const SIZES_MB = [1, 2, 4, 8];
const PROOF_PATH = '/proof/v1/transactions/bench-1';

interface SizeFigures {
  readonly mb: number;
  readonly token: Compared;
  readonly proof: Compared;
  readonly rssIdle: number;
  readonly rssAfterToken: number;
  readonly rssAfterProof: number;
}

export async function runSemiSpace(cfg: BenchConfig): Promise<string> {
  const dir = tempDir();
  const callers = writeCallersFile(dir);
  const redis = await startRedis();
  const started: Proc[] = [];
  const meter = startCpuMeter();
  try {
    const upstream = await startScript('fast-proof', {}, '/health');
    started.push(upstream.proc);
    const headers = { authorization: `Bearer ${callers.key}` };
    const brokers: Broker[] = [];
    for (const mb of SIZES_MB) {
      const broker = await startBroker(`semi-${mb}`, {
        redisUrl: redis.url,
        emulatorUrl: upstream.url,
        callersPath: callers.path,
        logLevel: 'log',
        // After production's --max-semi-space-size=2: the last one wins.
        nodeArgs: [`--max-semi-space-size=${mb}`],
      });
      started.push(broker.proc);
      brokers.push(broker);
    }
    await sleep(1_000);
    const rssIdle = brokers.map((b) => rssMb(b.proc.pid));
    const { env } = await copyTokenAnswer(brokers[0].url, headers);
    const token = ((await (await fetch(`${brokers[0].url}/token`, { headers })).json()) as { access_token: string })
      .access_token;
    const bare = await startScript('bare-fastify', env, '/token');
    const bareProxyEnv = { UPSTREAM_URL: upstream.url, BENCH_CALLER_KEY: callers.key, BENCH_TOKEN: token };
    const bareProxy = await startScript('bare-undici-proxy', bareProxyEnv, PROOF_PATH, headers);
    started.push(bare.proc, bareProxy.proc);
    const load = {
      connections: cfg.connections,
      seconds: cfg.seconds,
      rounds: cfg.rounds,
      warmupSeconds: cfg.warmupSeconds,
    };
    const targets = (path: string, baseline: { url: string; proc: Proc }): Target[] => [
      { name: 'bare', url: `${baseline.url}${path}`, headers, pids: [baseline.proc.pid] },
      ...brokers.map((b) => ({ name: b.name, url: `${b.url}${path}`, headers, pids: [b.proc.pid] })),
    ];
    const tokenRuns = await compare(targets('/token', bare), load);
    const rssAfterToken = brokers.map((b) => rssMb(b.proc.pid));
    const proofRuns = await compare(targets(PROOF_PATH, bareProxy), load);
    const rssAfterProof = brokers.map((b) => rssMb(b.proc.pid));
    const figures: SizeFigures[] = brokers.map((b, i) => ({
      mb: SIZES_MB[i],
      token: tokenRuns[b.name],
      proof: proofRuns[b.name],
      rssIdle: rssIdle[i],
      rssAfterToken: rssAfterToken[i],
      rssAfterProof: rssAfterProof[i],
    }));
    const { others } = meter.stop();
    const conditions = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, other work used ${Math.round(others * 100)} % of the machine's CPU, load average ${loadavg()[0].toFixed(1)} at the end`;
    return renderSemiSpace(figures, tokenRuns.bare, proofRuns.bare, cfg, conditions);
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await redis.stop();
  }
}

function renderSemiSpace(
  figures: SizeFigures[],
  bareToken: Compared,
  bareProxy: Compared,
  cfg: BenchConfig,
  conditions: string,
): string {
  const rows = figures.map((f) => {
    const [t, p] = [pairRatios(f.token, bareToken), pairRatios(f.proof, bareProxy)];
    return `| ${f.mb} MB | ${showSpread(t.rps)} | ${showSpread(t.p99)} | ${Math.round(f.token.cpuUs)}: ${showSpread(t.cpu)} | ${showSpread(p.rps)} | ${showSpread(p.p99)} | ${Math.round(f.proof.cpuUs)}: ${showSpread(p.cpu)} | ${f.rssIdle.toFixed(1)} | ${f.rssAfterToken.toFixed(1)} | ${f.rssAfterProof.toFixed(1)} |`;
  });
  return `### Young generation size (\`--max-semi-space-size\`) at the shipped defaults otherwise (${cfg.connections} connections, ${cfg.rounds} × ${cfg.seconds} s interleaved)

${conditions}. Ratios: each round's broker figure over the bare server's of the same round, median (range).
Bare Fastify \`GET /token\` ${Math.round(bareToken.cpuUs)} µs/req, bare undici proxy ${Math.round(bareProxy.cpuUs)} µs/req.

| semi-space | \`GET /token\` req/s ÷ bare Fastify | p99 ÷ bare | CPU µs/req: ÷ bare | \`/proof/*\` req/s ÷ bare proxy | p99 ÷ bare | CPU µs/req: ÷ bare | RSS idle MB | RSS after \`GET /token\` MB | RSS after \`/proof/*\` MB |
| --- | --- | --- | --- | --- | --- | --- | ---: | ---: | ---: |
${rows.join('\n')}`;
}
