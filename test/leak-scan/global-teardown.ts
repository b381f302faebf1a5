import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanForLeaks } from '../support/leak-scan';

/**
 * Jest global teardown: after every suite has run, searches the whole run's captured
 * output (every broker, emulator, Redis and HAProxy process), every Redis keyspace dump
 * and every /metrics scrape for every secret and token the run used. Any hit fails the
 * run (non-zero exit) and names the artifact and the kind of value, never the value.
 */
export default function runLeakScan(): void {
  const dir = process.env.LEAK_SCAN_DIR;
  if (!dir) return;
  const result = scanForLeaks(dir);
  const summary =
    `leak scan: ${result.values} secrets and tokens searched in ${result.files} artifacts ` +
    `(${(result.bytes / 1e6).toFixed(1)} MB of logs, Redis dumps and /metrics): ${result.hits.length} hits`;
  process.stdout.write(`\n${summary}\n`);
  if (result.hits.length > 0) {
    writeFileSync(join(dir, 'hits.json'), JSON.stringify(result.hits, null, 2));
    const lines = result.hits.map((hit) => `  ${hit.kind} #${hit.ledgerIndex} in ${hit.file}`);
    throw new Error(`${summary}; artifacts kept in ${dir}\n${lines.join('\n')}`);
  }
  if (!process.env.KEEP_LEAK_SCAN) rmSync(dir, { recursive: true, force: true });
}
