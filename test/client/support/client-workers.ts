import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformFileSync } from '@swc/core';
import { requireBuilt } from '../../support/broker-process';
import { ManagedProcess, startProcess } from '../../support/child-process';
import { waitUntil } from '../../support/wait';

const ROOT = join(__dirname, '..', '..', '..');
const PACKAGE = join(ROOT, 'libs', 'broker-client');

export interface WorkerStats {
  mode: 'client' | 'naive';
  calls: number;
  ok: number;
  proof401: number;
  failed: number;
  failures: Record<string, number>;
  firstFailureAt: number;
  lastFailureAt: number;
  okAfterLastFailure: number;
  brokerRequests: number;
  reports: number;
  staleServed: number;
}

/**
 * client-loop.worker.ts compiled to a temporary folder whose node_modules links the package
 * folder, so the worker loads the built library by its name and `exports`, as a service would.
 */
export function prepareWorker(): string {
  requireBuilt(join(PACKAGE, 'dist', 'index.js'));
  const dir = mkdtempSync(join(tmpdir(), 'broker-client-e2e-'));
  mkdirSync(join(dir, 'node_modules', '@proof-broker'), { recursive: true });
  symlinkSync(PACKAGE, join(dir, 'node_modules', '@proof-broker', 'client'), 'dir');
  const { code } = transformFileSync(join(__dirname, 'client-loop.worker.ts'), {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    swcrc: false,
  });
  const file = join(dir, 'client-loop.worker.js');
  writeFileSync(file, code);
  return file;
}

export interface WorkerRun {
  readonly process: ManagedProcess;
  /** Resolves once the worker's first call to Proof succeeded. */
  started(): Promise<void>;
  result(): Promise<WorkerStats>;
}

/** Starts one worker process; `result()` waits for its summary line. */
export function startWorker(file: string, env: NodeJS.ProcessEnv): WorkerRun {
  const child = startProcess(process.execPath, [file], { env: { ...env, PATH: process.env.PATH } });
  return {
    process: child,
    started: () => waitUntil('the worker to call Proof', () => child.output().includes('first call ok'), 60_000, 100),
    result: async () => {
      const code = await child.exited();
      const line = child
        .output()
        .split('\n')
        .find((l) => l.startsWith('{"mode"'));
      if (code !== 0 || line === undefined) throw new Error(`worker exited ${code}:\n${child.output().slice(-2_000)}`);
      return JSON.parse(line) as WorkerStats;
    },
  };
}

/** Sums the counts of several workers. */
export const total = (stats: WorkerStats[], field: 'calls' | 'ok' | 'proof401' | 'failed' | 'reports'): number =>
  stats.reduce((sum, s) => sum + s[field], 0);

/** Stops the workers (SIGTERM ends their loop) and returns their counts. */
export async function stopAll(runs: readonly WorkerRun[]): Promise<WorkerStats[]> {
  await Promise.all(runs.map((r) => r.process.stop('SIGTERM')));
  return Promise.all(runs.map((r) => r.result()));
}
