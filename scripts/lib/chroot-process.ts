import { execFile } from 'node:child_process';
import { ImageContainer } from './image-container';
import { ManagedProcess, startManagedProcess } from './managed-process';

export interface ChrootRun {
  /** The service's environment (compose `environment:`): over the image's ENV, as a runtime does. */
  readonly env?: Record<string, string>;
  /** Replaces the image's CMD (the ENTRYPOINT stays). */
  readonly cmd?: readonly string[];
  readonly hostname?: string;
  readonly onLine?: (line: string) => void;
}

/**
 * The argv that starts `command` in the container the way a runtime would, minus isolation:
 * chroot into the image's root as its USER (numeric ids from its own /etc/passwd, no
 * supplementary groups), then change to its WORKDIR. Both chroot and env exec, so the
 * process that gets signals is the image's own CMD.
 */
function chrootArgs(container: ImageContainer, command: readonly string[]): string[] {
  const { uid, gid, root, config } = container;
  return [`--userspec=${uid}:${gid}`, `--groups=${gid}`, root, '/usr/bin/env', '-C', config.workdir, ...command];
}

function environment(container: ImageContainer, run: ChrootRun): Record<string, string> {
  return {
    HOSTNAME: run.hostname ?? container.name,
    HOME: container.home,
    ...container.config.env,
    ...run.env,
  };
}

/** Starts the image's ENTRYPOINT + CMD (or `run.cmd`) as a managed host process. */
export function startInContainer(container: ImageContainer, label: string, run: ChrootRun = {}): ManagedProcess {
  const command = [...container.config.entrypoint, ...(run.cmd ?? container.config.cmd)];
  if (command.length === 0) throw new Error(`${container.image} has neither ENTRYPOINT nor CMD`);
  return startManagedProcess(label, 'chroot', chrootArgs(container, command), {
    env: environment(container, run),
    onLine: run.onLine,
  });
}

/** The argv a Docker HEALTHCHECK test stands for: CMD-SHELL runs through /bin/sh -c. */
export function healthcheckCommand(test: readonly string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  if (kind === 'CMD') return rest;
  throw new Error(`unsupported HEALTHCHECK test ${JSON.stringify(test)}`);
}

/**
 * Runs the image's HEALTHCHECK inside the container, as its USER with the service's
 * environment, and resolves with its exit code (a runtime counts 0 as healthy).
 */
export function runHealthcheck(container: ImageContainer, run: ChrootRun = {}, timeoutMs = 10_000): Promise<number> {
  const test = container.config.healthcheck;
  if (!test) return Promise.reject(new Error(`${container.image} has no HEALTHCHECK`));
  return new Promise((resolve) => {
    execFile(
      'chroot',
      chrootArgs(container, healthcheckCommand(test)),
      { env: environment(container, run), timeout: timeoutMs },
      (error) => resolve(error ? (typeof error.code === 'number' ? error.code : -1) : 0),
    );
  });
}
