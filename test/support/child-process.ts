import { basename } from 'node:path';
import { ManagedProcess, startManagedProcess } from '../../scripts/lib/managed-process';

export type { ManagedProcess };

/**
 * Spawns a child for a test (the same process management as `npm run cluster`: killed when
 * the Jest worker exits, output captured for the leak scan). Without `env`, the child
 * inherits the test's environment. It runs in an empty directory unless `cwd` is given.
 */
export function startProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ManagedProcess {
  return startManagedProcess(basename(command), command, args, { env: options.env ?? process.env, cwd: options.cwd });
}
