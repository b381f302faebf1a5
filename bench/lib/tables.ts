// The results as Markdown tables (stdout and docs/BENCHMARKS.md), and the targets judged.
import type { BenchConfig } from '../parts/bench-config';
import type { ClientResult } from '../parts/client';
import type { ReplicasResult } from '../parts/replicas';
import type { SingleResult } from '../parts/single';
import type { StartupResult } from '../parts/startup';
import type { Compared } from './load';
import { pairRatios, showSpread } from './ratios';

export interface Results {
  readonly startup: StartupResult;
  readonly single: SingleResult;
  readonly replicas: ReplicasResult[];
  readonly client?: ClientResult;
}

type Cell = string | number;

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

function table(header: string[], rows: Cell[][]): string {
  const line = (cells: Cell[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function comparisonRow(label: string, a: Compared, b: Compared): Cell[] {
  const r = pairRatios(a, b);
  return [label, showSpread(r.rps), showSpread(r.p99), showSpread(r.cpu), n2(a.rps / b.rps)];
}

function singleTables({ broker, logged, bare, node, naive }: SingleResult): string[] {
  const row = (label: string, r: SingleResult['broker']): Cell[] => [
    label,
    n0(r.rps),
    n2(r.p50),
    n2(r.p99),
    r.errors,
    n0(r.cpuUs),
    r.rounds.map(n0).join(', '),
  ];
  const header = ['server (1 process)', 'req/s (median)', 'p50 ms', 'p99 ms', 'errors'];
  return [
    table(
      [...header, 'server CPU µs/req (naive: + Redis)', 'req/s per round'],
      [
        row('broker `GET /token` at the shipped defaults (`LOG_LEVEL=log`, `BROKER_ACCESS_LOG=aggregate`)', logged),
        row('the same at `LOG_LEVEL=warn` (no audit of a 2xx)', broker),
        row('bare Fastify, same body and headers', bare),
        row('bare `node:http`, same bytes and headers', node),
        row('naive broker (Redis HGET per request)', naive),
      ],
    ),
    table(
      [
        'comparison (ratios of each round, median (range))',
        'req/s ratio',
        'p99 ratio',
        'CPU per request ratio',
        'ratio of the medians (req/s)',
      ],
      [
        comparisonRow('broker (defaults) / bare Fastify', logged, bare),
        comparisonRow('broker (defaults) / bare `node:http`', logged, node),
        comparisonRow('broker (`warn`) / bare Fastify', broker, bare),
        comparisonRow('broker (`warn`) / naive broker', broker, naive),
      ],
    ),
  ];
}

function replicasTable(runs: ReplicasResult[]): string {
  return table(
    [
      'replicas',
      'req/s',
      'p50 ms',
      'p99 ms',
      'errors',
      'CPU µs/req (replicas + HAProxy)',
      'upstream token requests',
      'refresh windows',
      'max per window',
    ],
    runs.map((r) => [
      r.replicas,
      n0(r.rps),
      n2(r.p50),
      n2(r.p99),
      r.errors,
      n0(r.cpuUs),
      r.tokenRequests,
      r.windows,
      r.maxPerWindow,
    ]),
  );
}

function rolloverTable(runs: ReplicasResult[], halfMs: number): string {
  return table(
    [
      'replicas',
      'rollovers',
      `requests within ±${halfMs} ms`,
      'p99 ms there',
      'errors there',
      'requests elsewhere',
      'p99 ms elsewhere',
      'errors elsewhere',
    ],
    runs.map(({ replicas, rollover: { rollovers, inside: i, outside: o } }) => [
      replicas,
      rollovers,
      n0(i.requests),
      n2(i.p99),
      i.errors,
      n0(o.requests),
      n2(o.p99),
      o.errors,
    ]),
  );
}

function memoryTable({ startup, single, replicas }: Results): string {
  return table(
    ['replica', 'start to /health/ready 200, ms', 'RSS idle MB', 'RSS after load MB'],
    [
      [
        `started alone on an empty Redis, median of ${startup.readyMsAll.length} (${startup.readyMsAll.map(n0).join(', ')} ms)`,
        n0(startup.readyMs),
        n1(startup.rssIdle),
        '',
      ],
      ['the replica of parts 1, 2 at `LOG_LEVEL=warn`', n0(single.readyMs), n1(single.rssIdle), n1(single.rssLoaded)],
      ['the replica of parts 1, 2 at the shipped defaults', '', '', n1(single.rssLoadedDefaults)],
      ...replicas.map((r) => [
        `part 3, ${r.replicas} started together: the slowest, the largest`,
        n0(r.readyMsMax),
        '',
        n1(r.rssMaxLoaded),
      ]),
    ],
  );
}

function targetsTable({ startup, single, replicas }: Results): string {
  const { broker, logged, bare, node, naive } = single;
  const errors = [broker, logged, bare, node, naive, ...replicas].reduce((sum, r) => sum + r.errors, 0);
  const onePerWindow = replicas.every(
    (r) => r.windows > 0 && r.maxPerWindow === 1 && r.tokensIssued === r.tokenRequests,
  );
  const rss = Math.max(single.rssLoaded, ...replicas.map((r) => r.rssMaxLoaded));
  const [toBare, toNode] = [pairRatios(logged, bare), pairRatios(logged, node)];
  const rows: [string, string, boolean][] = [
    [
      "`GET /token` req/s ≥ 0.9 × bare Fastify, at the shipped defaults (median of the rounds' ratios)",
      `${showSpread(toBare.rps)} ×`,
      toBare.rps.median >= 0.9,
    ],
    [
      '`GET /token` req/s ≥ 0.9 × bare `node:http`, at the shipped defaults',
      `${showSpread(toNode.rps)} ×`,
      toNode.rps.median >= 0.9,
    ],
    [
      '`GET /token` p99 ≤ 1.5 × bare Fastify, at the shipped defaults',
      `${showSpread(toBare.p99)} ×`,
      toBare.p99.median <= 1.5,
    ],
    [
      '`GET /token` p99 ≤ 1.5 × bare `node:http`, at the shipped defaults',
      `${showSpread(toNode.p99)} ×`,
      toNode.p99.median <= 1.5,
    ],
    ['zero errors, every run', String(errors), errors === 0],
    [
      'one upstream token request per refresh window at 1, 3, 5 replicas',
      replicas.map((r) => `${r.replicas}: ${r.tokenRequests} in ${r.windows} windows`).join('; '),
      onePerWindow,
    ],
    [
      'RSS ≤ 100 MB after load, the replica at the defaults (parts 1, 2)',
      `${n1(single.rssLoadedDefaults)} MB`,
      single.rssLoadedDefaults <= 100,
    ],
    ['RSS < 150 MB per replica after load, every replica (`warn`)', `${n1(rss)} MB (largest)`, rss < 150],
    ['ready in < 2 s (median of the cold starts)', `${n0(startup.readyMs)} ms`, startup.readyMs < 2_000],
  ];
  return table(
    ['target', 'measured', 'status'],
    rows.map(([t, m, ok]) => [t, m, ok ? 'met' : '**missed**']),
  );
}

/** Every table; the targets only in the full run (quick numbers are a smoke test). */
function clientTable({ callNs, awaitedNs, calls }: ClientResult): string {
  return table(
    ['call', 'ns per call', 'calls', 'target'],
    [
      [
        '`getToken()` (returns a settled promise)',
        n1(callNs),
        n0(calls),
        `< 1,000 ns: ${callNs < 1_000 ? 'met' : 'missed'}`,
      ],
      ['`await getToken()`', n1(awaitedNs), n0(calls / 10), ''],
    ],
  );
}

/** Parts 1, 2 alone (`npm run bench -- --token`). */
export function renderSingle(single: SingleResult, cfg: BenchConfig): string {
  const title = `### 1, 2. One replica vs bare Fastify, bare \`node:http\` and a naive broker (${cfg.connections} connections, ${cfg.rounds} × ${cfg.seconds} s, medians)`;
  return [title, ...singleTables(single)].join('\n\n');
}

export function renderTables(results: Results, cfg: BenchConfig): string {
  const { replicas } = results;
  const parts = [
    renderSingle(results.single, cfg),
    `### 3. Replicas behind HAProxy (${cfg.shortTtl} s tokens, a refresh every ${cfg.windowMs / 1000} s, ${cfg.clusterSeconds} s of load)`,
    replicasTable(replicas),
    '### 4. Latency around token rollovers (the same runs)',
    rolloverTable(replicas, cfg.rolloverMs),
    '### 5. Memory and start-up',
    memoryTable(results),
  ];
  if (results.client) parts.push('### 6. `BrokerClient.getToken()` on a cached token', clientTable(results.client));
  if (!cfg.quick) parts.push('### Targets', targetsTable(results));
  return parts.join('\n\n');
}
