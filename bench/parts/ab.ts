// `npm run bench -- --ab <main.js of another build>`: this build's broker against another build's
// (a copy of dist/ made before a change), both at the shipped defaults, interleaved in the same
// rounds with the bare servers, on GET /token (vs bare Fastify) and /proof/* (vs the bare undici
// proxy). On a busy machine the req/s of one build measured minutes apart says little; the
// ratio of the two builds' CPU per request, round by round, says whether a change paid. The
// two builds take the ends of each round's order (base, bare, head; then head, bare, base): in
// the middle, one of them measured 0.8-0.9 × the other's CPU per request with identical code
// (an A/A run at load 6-11), so the middle place is biased. `--head "<spec>"` (bench/lib/variant.ts)
// starts this build's broker with more node flags, environment variables or another main.js, so
// two start settings of one build can be compared the same way.
import { existsSync } from 'node:fs';
import { copyTokenAnswer } from '../lib/copied-answer';
import { Compared, compare } from '../lib/load';
import { Proc } from '../lib/processes';
import { pairRatios, showSpread } from '../lib/ratios';
import { Broker, BrokerOptions, startBroker, startScript, startStudyServices } from '../lib/services';
import { describeVariant, Variant } from '../lib/variant';
import type { BenchConfig } from './bench-config';

const PROXY_PATH = '/proof/v1/transactions/bench-1';

interface Trio {
  readonly base: Compared;
  readonly head: Compared;
  readonly bare: Compared;
}

const row = (name: string, c: Compared) =>
  `| ${name} | ${Math.round(c.rps)} | ${c.p99.toFixed(2)} | ${Math.round(c.cpuUs)} | ${c.errors} |`;

function section(title: string, bareName: string, { base, head, bare }: Trio): string {
  const ratio = (label: string, a: Compared, b: Compared) => {
    const r = pairRatios(a, b);
    return `| ${label} | ${showSpread(r.rps)} | ${showSpread(r.p99)} | ${showSpread(r.cpu)} |`;
  };
  return [
    `### ${title}`,
    '',
    '| server | req/s (median) | p99 ms | CPU µs/req | errors |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('this build', head),
    row('baseline build', base),
    row(bareName, bare),
    '',
    "| ratio (each round's, median (range)) | req/s | p99 | CPU per request |",
    '| --- | --- | --- | --- |',
    ratio('this build / baseline', head, base),
    ratio(`this build / ${bareName}`, head, bare),
    ratio(`baseline / ${bareName}`, base, bare),
  ].join('\n');
}

/** Both builds on GET /token and /proof/*; returns the two sections as Markdown. */
export async function runAb(cfg: BenchConfig, baselineMain: string, headVariant: Variant): Promise<string> {
  if (!existsSync(baselineMain)) throw new Error(`${baselineMain} is missing (the baseline build's main.js)`);
  const { redis, callers, brokerOptions, started, stop } = await startStudyServices(cfg.longTtl);
  const headers = { authorization: `Bearer ${callers.key}` };
  const load = {
    connections: cfg.connections,
    seconds: cfg.seconds,
    rounds: cfg.rounds,
    warmupSeconds: cfg.warmupSeconds,
  };
  const both = async (options: BrokerOptions): Promise<[Broker, Broker]> => {
    const common = { ...options, logLevel: brokerOptions.logLevel, nodeArgs: cfg.brokerNodeArgs };
    const pair = await Promise.all([
      startBroker('base', { ...common, main: baselineMain }),
      startBroker('head', {
        ...common,
        nodeArgs: [...cfg.brokerNodeArgs, ...headVariant.nodeArgs],
        env: headVariant.env,
        ...(headVariant.main ? { main: headVariant.main } : {}),
      }),
    ]);
    started.push(pair[0].proc, pair[1].proc);
    return pair;
  };
  const target = (name: string, url: string, proc: Proc) => ({ name, url, headers, pids: [proc.pid] });
  try {
    const [base, head] = await both(brokerOptions);
    const { env } = await copyTokenAnswer(head.url, headers);
    const fastify = await startScript('bare-fastify', env, '/token');
    started.push(fastify.proc);
    const token = (await compare(
      [
        target('base', `${base.url}/token`, base.proc),
        target('bare', `${fastify.url}/token`, fastify.proc),
        target('head', `${head.url}/token`, head.proc),
      ],
      load,
    )) as unknown as Trio;
    await Promise.all([base.proc.stop(), head.proc.stop(), fastify.proc.stop()]);

    // The proxy's upstream issues its own tokens: the emulator's must not be served to it.
    await redis.client.flushall();
    const upstream = await startScript('fast-proof', {}, '/health');
    started.push(upstream.proc);
    const [pBase, pHead] = await both({ ...brokerOptions, emulatorUrl: upstream.url });
    const injected = ((await (await fetch(`${pHead.url}/token`, { headers })).json()) as { access_token: string })
      .access_token;
    const proxyEnv = { UPSTREAM_URL: upstream.url, BENCH_CALLER_KEY: callers.key, BENCH_TOKEN: injected };
    const bareProxy = await startScript('bare-undici-proxy', proxyEnv, PROXY_PATH, headers);
    started.push(bareProxy.proc);
    const proxy = (await compare(
      [
        target('base', `${pBase.url}${PROXY_PATH}`, pBase.proc),
        target('bare', `${bareProxy.url}${PROXY_PATH}`, bareProxy.proc),
        target('head', `${pHead.url}${PROXY_PATH}`, pHead.proc),
      ],
      load,
    )) as unknown as Trio;
    const rounds = `${cfg.connections} connections, ${cfg.rounds} × ${cfg.seconds} s, both builds at the shipped defaults but as said above`;
    return [
      `Baseline build: \`${baselineMain}\`. This build: ${describeVariant(headVariant)}.`,
      section(`GET /token (${rounds})`, 'bare Fastify', token),
      section(`/proof/* (${rounds})`, 'bare undici proxy', proxy),
    ].join('\n\n');
  } finally {
    await stop();
  }
}
