import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputCapture } from './output-capture';

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every child started here that is still running. */
export function killManagedProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

// Whatever ends this process (an uncaught error, process.exit in a signal handler, a failing
// test), no redis-server, broker or haproxy it started may outlive it.
process.once('exit', () => {
  killManagedProcesses();
  if (emptyDir) rmSync(emptyDir, { recursive: true, force: true });
});

// The apps read a `.env` in their working directory (loadEnvFile). A child started here gets
// its whole environment from its caller, so by default it runs in an empty directory: a
// developer's `.env` in the checkout must not add to it (a REDIS_URL, a second profile).
let emptyDir: string | undefined;
const noEnvFileDir = (): string => (emptyDir ??= mkdtempSync(join(tmpdir(), 'managed-process-')));

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal or never started). */
  exited(): Promise<number | null>;
  /** Sends `signal`, escalates to SIGKILL after `timeoutMs`, resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface StartOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Working directory: an empty one unless given (no `.env` there). */
  readonly cwd?: string;
  /** Called with every complete output line, e.g. to print it with a prefix. */
  readonly onLine?: (line: string) => void;
  /** `ignore`: stdout goes to /dev/null (a server logging every request); stderr is still kept. */
  readonly stdout?: 'pipe' | 'ignore';
  /** Keep only the last this many characters of output (a long run): all of it unless given. */
  readonly keepOutputChars?: number;
}

/** Spawns `command` with only the given environment (plus PATH) and captures its output. */
export function startManagedProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions,
): ManagedProcess {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...options.env },
    cwd: options.cwd ?? noEnvFileDir(),
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
  });
  running.add(child);
  const capture = outputCapture(name, child.pid);
  let output = '';
  let partial = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    if (options.keepOutputChars !== undefined) output = output.slice(-options.keepOutputChars);
    capture?.write(chunk);
    if (!options.onLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    lines.forEach((line) => options.onLine?.(line));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      capture?.end();
      resolve(code);
    });
    child.once('error', (error) => {
      running.delete(child);
      output += `\n${name}: ${error.message}\n`;
      resolve(null);
    });
  });
  return {
    name,
    child,
    output: () => output,
    exited: () => exit,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}
