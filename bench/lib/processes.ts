// Child processes of the bench: every one is tracked and killed when the bench ends, however it
// ends. The process, port and wait helpers are scripts/lib's, shared with the tests and `npm run cluster`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { freePort } from '../../scripts/lib/free-port';
import { killManagedProcesses, startManagedProcess } from '../../scripts/lib/managed-process';
import { answers, waitUntil } from '../../scripts/lib/wait-until';

/** The repository root (the bench runs compiled, from dist/bench). */
export const ROOT = ((dir: string): string => {
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})(__dirname);

/** Kills every child still running (SIGKILL): used on exit, error and Ctrl-C. */
export const killAll = killManagedProcesses;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping children\n`);
    // process.exit runs managed-process's exit hook, which kills every child.
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

/**
 * Spawns `command` with only PATH and `env` in an empty directory (scripts/lib's managed
 * process, as the tests and `npm run cluster` use), keeping the tail of its output for
 * error messages.
 */
export function start(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  /** `ignore`: stdout goes to /dev/null (a server logging every request), stderr is still kept. */
  stdout: 'pipe' | 'ignore' = 'pipe',
): Proc {
  const startedAt = performance.now();
  const proc = startManagedProcess(name, command, args, { env, stdout, keepOutputChars: 8_000 });
  const alive = () => proc.child.exitCode === null && proc.child.signalCode === null;
  let exited = false;
  void proc.exited().then(() => (exited = true));
  return {
    name,
    pid: proc.child.pid ?? -1,
    startedAt,
    output: proc.output,
    alive: () => !exited && alive(),
    async stop(timeoutMs = 5_000) {
      if (exited || !alive()) return;
      await proc.stop('SIGTERM', timeoutMs);
    },
  };
}

export { freePort, sleep };

/** Polls GET `url` until it answers 200; fails early, with the process output, if `proc` dies. */
export async function waitFor200(
  proc: Proc,
  url: string,
  {
    // Replicas started together on 2 busy cores (other work at load 15+) took over 20 s.
    timeoutMs = 60_000,
    intervalMs = 20,
    headers = {},
  }: { timeoutMs?: number; intervalMs?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  try {
    await waitUntil(`${url} to answer 200`, () => answers(url, 200, headers), {
      timeoutMs,
      intervalMs,
      abort: () => (proc.alive() ? undefined : `${proc.name} exited`),
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}:\n${proc.output()}`);
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
