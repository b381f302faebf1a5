import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One row of docs/RELIABILITY.md, measured by one scenario run. */
export interface ScenarioFigures {
  readonly order: number;
  readonly scenario: string;
  readonly policy: string;
  readonly durationS: number;
  readonly requests: number;
  readonly rps: number;
  readonly non200: number;
  readonly badTokens: number;
  readonly upstreamRequests: number;
  readonly upstreamBound: number;
  readonly tokensIssued: number;
  /** From the fault's start to a new token on every live replica (null: none in time). */
  readonly newTokenAfterFaultS: number | null;
  /** From the end of the fault (or the kill) to a new token on every live replica, 0 if before. */
  readonly recoveryS: number | null;
  readonly maxLatencyMs: number;
  readonly fenceSamples: number;
  readonly fenceDrops: number;
  readonly notes: string;
  readonly runAt: string;
}

/** Where the figures go: one JSON file per scenario, plus summary.md and summary.json. */
export const REPORT_DIR = process.env.FAULT_REPORT_DIR ?? join(tmpdir(), 'proof-broker-faults');

const slug = (f: Pick<ScenarioFigures, 'scenario' | 'policy'>) =>
  `${f.scenario}-${f.policy}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');

export function recordFigures(figures: ScenarioFigures): void {
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(join(REPORT_DIR, `${slug(figures)}.json`), JSON.stringify(figures, null, 2));
}

const s = (v: number | null) => (v === null ? 'none' : v.toFixed(1));

export function markdownTable(rows: ScenarioFigures[]): string {
  const header = [
    '| scenario | policy | load: requests (req/s) | non-200 | bad tokens served | upstream requests (bound) | new token after fault start (s) | recovery after fault end (s) | max latency (ms) | fence samples / drops |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.policy} | ${r.requests} (${Math.round(r.rps)}) | ${r.non200} | ${r.badTokens} | ` +
      `${r.upstreamRequests} (≤ ${r.upstreamBound}) | ${s(r.newTokenAfterFaultS)} | ${s(r.recoveryS)} | ` +
      `${r.maxLatencyMs} | ${r.fenceSamples} / ${r.fenceDrops} |`,
  );
  return [...header, ...lines].join('\n');
}

/** Rebuilds summary.md / summary.json from every scenario file and returns the table. */
export function writeSummary(): string {
  mkdirSync(REPORT_DIR, { recursive: true });
  const rows = readdirSync(REPORT_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'summary.json')
    .map((f) => JSON.parse(readFileSync(join(REPORT_DIR, f), 'utf8')) as ScenarioFigures)
    .sort((a, b) => a.order - b.order || a.policy.localeCompare(b.policy));
  const table = markdownTable(rows);
  const notes = rows.filter((r) => r.notes).map((r) => `- ${r.scenario} (${r.policy}): ${r.notes}`);
  writeFileSync(join(REPORT_DIR, 'summary.json'), JSON.stringify(rows, null, 2));
  writeFileSync(join(REPORT_DIR, 'summary.md'), `${table}\n\n${notes.join('\n')}\n`);
  return `${table}\n\n${notes.join('\n')}`;
}

/** For afterAll: prints the table of every scenario run so far (this file's and earlier ones). */
export function printSummary(): void {
  console.log(`Fault suite figures (${REPORT_DIR}/summary.md):\n\n${writeSummary()}\n`);
}
