// Child processes of the bench: every one is tracked and killed when the bench ends, however it ends.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';

/** The repository root (the bench runs compiled, from dist/bench). */
export const ROOT = ((dir: string): string => {
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})(__dirname);

const running = new Set<ChildProcess>();

/** Kills every child still running (SIGKILL): used on exit, error and Ctrl-C. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping children\n`);
    killAll();
    process.exit(130);
  });
}

export interface Proc {
  readonly name: string;
  readonly pid: number;
  /** performance.now() at spawn. */
  readonly startedAt: number;
  output(): string;
  alive(): boolean;
  /** SIGTERM (graceful: lets `--cpu-prof` write its profile), SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

let emptyDir: string | undefined;

/** Spawns `command` with only PATH and `env`, and keeps the tail of its output for error messages. */
export function start(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  /** `ignore`: stdout goes to /dev/null (a server logging every request), stderr is still kept. */
  stdout: 'pipe' | 'ignore' = 'pipe',
): Proc {
  const startedAt = performance.now();
  // In an empty directory: the apps would read a developer's `.env` from their working directory.
  emptyDir ??= mkdtempSync(join(tmpdir(), 'bench-process-'));
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env },
    cwd: emptyDir,
    stdio: ['ignore', stdout, 'pipe'],
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve(void running.delete(child)));
    child.once('error', (error) => {
      output += `\nspawn failed: ${error.message}`;
      resolve(void running.delete(child));
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null && running.has(child);
  return {
    name,
    pid: child.pid ?? -1,
    startedAt,
    output: () => output,
    alive,
    async stop(timeoutMs = 5_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** scripts/lib/free-port.ts as built with the apps (the bench compiles apart, from bench/ only). */
export const freePort = (): Promise<number> =>
  (
    createRequire(__filename)(join(ROOT, 'dist/scripts/lib/free-port.js')) as { freePort: () => Promise<number> }
  ).freePort();

export { sleep };

/** Polls GET `url` until it answers 200; fails early, with the process output, if `proc` dies. */
export async function waitFor200(
  proc: Proc,
  url: string,
  {
    timeoutMs = 20_000,
    intervalMs = 20,
    headers = {},
  }: { timeoutMs?: number; intervalMs?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive()) throw new Error(`${proc.name} exited before ${url} answered 200:\n${proc.output()}`);
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url} to answer 200:\n${proc.output()}`);
    await sleep(intervalMs);
  }
}

/** Resident set size of `pid` in MB, from /proc/<pid>/status (VmRSS). */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;

/** CPU time (user + system, seconds) `pid` has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function machineTicks(): { busy: number; steal: number; total: number } {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/** CPU seconds of this process and of its children that have exited (/proc/self/stat). */
function ownCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const [utime, stime, cutime, cstime] = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, 15)
    .map(Number);
  return (utime + stime + cutime + cstime) / CLK_TCK;
}

/**
 * Measures how much of the machine's CPU went to work other than the bench (its own process and
 * its children, once they have exited) and to steal by the hypervisor: both skew the figures.
 */
export function startCpuMeter(): { stop(): { others: number; steal: number } } {
  const machine = machineTicks();
  const own = ownCpuSeconds();
  return {
    stop() {
      const now = machineTicks();
      const total = now.total - machine.total;
      const othersTicks = now.busy - machine.busy - (ownCpuSeconds() - own) * CLK_TCK;
      return { others: Math.max(0, othersTicks / total), steal: (now.steal - machine.steal) / total };
    },
  };
}
