import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Jest global setup: one directory per test run for the leak scan's ledger and artifacts. */
export default function setUpLeakScan(): void {
  process.env.LEAK_SCAN_DIR ??= mkdtempSync(join(tmpdir(), 'broker-leak-scan-'));
}
