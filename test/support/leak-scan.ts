import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretKind } from './leak-ledger';

export interface LeakHit {
  readonly kind: SecretKind;
  /** The artifact, relative to the scan directory. */
  readonly file: string;
  /** Position of the value in the ledger: says which one without printing it. */
  readonly ledgerIndex: number;
}

export interface LeakScanResult {
  readonly values: number;
  readonly files: number;
  readonly bytes: number;
  readonly hits: readonly LeakHit[];
}

const ARTIFACT_DIRS = ['output', 'redis', 'metrics'];
const TOKEN_CHARS = /^[A-Za-z0-9_-]+$/;
const TOKEN_RUNS = /[A-Za-z0-9_-]+/g;

/** The values recorded so far in a run's ledger (for tests of the plumbing itself). */
export const ledgerValues = (dir: string): Set<string> => new Set(readLedger(dir).map((entry) => entry.value));

/** Every captured output file of a run, concatenated. */
export function capturedOutput(dir: string): string {
  const outputDir = join(dir, 'output');
  if (!existsSync(outputDir)) return '';
  return readdirSync(outputDir)
    .map((name) => readFileSync(join(outputDir, name), 'utf8'))
    .join('\n');
}

function readLedger(dir: string): { kind: SecretKind; value: string }[] {
  const ledgerDir = join(dir, 'ledger');
  if (!existsSync(ledgerDir)) return [];
  const seen = new Map<string, SecretKind>();
  for (const file of readdirSync(ledgerDir)) {
    for (const line of readFileSync(join(ledgerDir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const { kind, value } = JSON.parse(line) as { kind: SecretKind; value: string };
      if (!seen.has(value)) seen.set(value, kind);
    }
  }
  return [...seen].map(([value, kind]) => ({ kind, value }));
}

/**
 * Searches every artifact of a test run for every value in its ledger, also URL-encoded.
 * Values made of base64url characters only (tokens, most keys), which are thousands in a
 * run, are found in one pass per file: every window of their length inside each
 * base64url run is looked up in a set. The others are few and searched directly.
 */
export function scanForLeaks(dir: string): LeakScanResult {
  const ledger = readLedger(dir);
  const byLength = new Map<number, Map<string, number>>();
  const others: { needle: string; index: number }[] = [];
  ledger.forEach(({ value }, index) => {
    const needles = new Set([value, encodeURIComponent(value)]);
    for (const needle of needles) {
      if (TOKEN_CHARS.test(needle)) {
        const set = byLength.get(needle.length) ?? new Map<string, number>();
        set.set(needle, index);
        byLength.set(needle.length, set);
      } else others.push({ needle, index });
    }
  });
  const hits: LeakHit[] = [];
  let files = 0;
  let bytes = 0;
  for (const sub of ARTIFACT_DIRS) {
    const artifactDir = join(dir, sub);
    if (!existsSync(artifactDir)) continue;
    for (const name of readdirSync(artifactDir)) {
      const text = readFileSync(join(artifactDir, name), 'utf8');
      files += 1;
      bytes += text.length;
      const found = new Set<number>();
      for (const [run] of text.matchAll(TOKEN_RUNS)) {
        for (const [length, set] of byLength) {
          for (let start = 0; start + length <= run.length; start += 1) {
            const index = set.get(run.slice(start, start + length));
            if (index !== undefined) found.add(index);
          }
        }
      }
      for (const { needle, index } of others) if (text.includes(needle)) found.add(index);
      for (const index of found) hits.push({ kind: ledger[index].kind, file: `${sub}/${name}`, ledgerIndex: index });
    }
  }
  return { values: ledger.length, files, bytes, hits };
}
