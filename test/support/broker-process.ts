import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, startProcess } from './child-process';
import { freePort } from './free-port';
import { recordEnvSecrets, recordMetrics } from './leak-ledger';
import { waitForHttp } from './wait';

const ROOT = join(__dirname, '..', '..');
export const BROKER_MAIN = join(ROOT, 'dist/apps/broker/src/main.js');
export const EMULATOR_MAIN = join(ROOT, 'dist/apps/proof-emulator/src/main.js');

/** Multi-process tests run the built apps, as production does. */
export function requireBuilt(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  return path;
}

export interface BrokerProcess {
  readonly url: string;
  readonly name: string;
  readonly process: ManagedProcess;
}

/** Starts `node dist/apps/broker/src/main.js` on a free port and waits for liveness. */
export async function startBrokerProcess(name: string, env: NodeJS.ProcessEnv): Promise<BrokerProcess> {
  recordEnvSecrets(env);
  const port = await freePort();
  const started = startProcess(process.execPath, [requireBuilt(BROKER_MAIN)], {
    env: { PATH: process.env.PATH, ...env, PORT: String(port), HOST: '127.0.0.1', BROKER_REPLICA_ID: name },
  });
  const url = `http://127.0.0.1:${port}`;
  // A graceful stop scrapes /metrics first, for the leak scan (a SIGKILL or SIGSTOP test must not wait).
  const child: ManagedProcess = {
    ...started,
    stop: async (signal = 'SIGTERM', timeoutMs) => {
      if (signal === 'SIGTERM' || signal === 'SIGINT') await recordMetrics(url, `broker-${name}`);
      return started.stop(signal, timeoutMs);
    },
  };
  try {
    // Generous: on a busy 2-core machine loading Nest alone can take more than 15 s.
    await waitForHttp(`${url}/health/live`, 200, 60_000);
  } catch (error) {
    await child.stop('SIGKILL');
    throw new Error(`broker ${name} did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return { url, name, process: child };
}
