import { randomBytes } from 'node:crypto';
import { generateCallerKey } from '../../apps/broker/src/auth/caller-key';
import { ChrootRun, startInContainer } from '../../scripts/lib/chroot-process';
import { ImageContainer } from '../../scripts/lib/image-container';
import { ManagedProcess } from './child-process';
import { ComposeService, composeEnv, volumeTarget } from './compose-file';
import { recordEnvSecrets, recordSecret } from './leak-ledger';
import { answers, waitUntil } from '../../scripts/lib/wait-until';

/**
 * What the compose file's brokers share, made up per test: the compose file's demo client
 * secret is swapped for a random one (the leak scan needs secrets it can find), a caller
 * key with every role for every profile, and one encryption key for every replica.
 */
export interface ComposeSecrets {
  readonly clientSecret: string;
  readonly callerKey: string;
  readonly callersJson: string;
  readonly encryptionKeys: string;
}

export function makeComposeSecrets(): ComposeSecrets {
  const { key, entry } = generateCallerKey('image-test', ['token:read', 'token:info'], ['*']);
  const secrets = {
    clientSecret: randomBytes(24).toString('base64url'),
    callerKey: key,
    callersJson: JSON.stringify([entry]),
    encryptionKeys: `compose:${randomBytes(32).toString('base64')}`,
  };
  recordSecret('client-secret', secrets.clientSecret);
  recordSecret('caller-key', secrets.callerKey);
  recordSecret('encryption-key', secrets.encryptionKeys.slice(secrets.encryptionKeys.indexOf(':') + 1));
  return secrets;
}

/**
 * The compose network's names, all on loopback here (the processes share the host's
 * network): the services keep the compose file's host names in their URLs.
 */
export function writeComposeHosts(container: ImageContainer, names: readonly string[]): void {
  container.writeFile('/etc/hosts', `127.0.0.1 localhost ${names.join(' ')}\n::1 localhost\n`);
}

/** The emulator service's environment, on a free loopback port, knowing the made-up secret. */
export function emulatorEnv(service: ComposeService, port: number, secrets: ComposeSecrets): Record<string, string> {
  const env = composeEnv(service);
  const clients = env.EMULATOR_CLIENTS.split(',').map((c) => `${c.slice(0, c.indexOf(':'))}:${secrets.clientSecret}`);
  // 0.0.0.0 would publish the emulator on every interface of this (shared) machine.
  return { ...env, EMULATOR_HOST: '127.0.0.1', EMULATOR_PORT: String(port), EMULATOR_CLIENTS: clients.join(',') };
}

/**
 * A broker service's environment with only what a host network forces changed: its own
 * port, loopback, and the ports Redis and the emulator got. Host names stay (see
 * writeComposeHosts). The callers and key files go where the compose file mounts them.
 */
export function brokerEnv(
  container: ImageContainer,
  service: ComposeService,
  ports: { broker: number; redis: number; emulator: number },
  secrets: ComposeSecrets,
): Record<string, string> {
  const env = composeEnv(service);
  const withPort = (url: string, port: number) => Object.assign(new URL(url), { port: String(port) }).href;
  const callers = volumeTarget(service, './callers.json');
  const keys = volumeTarget(service, './encryption-keys');
  if (callers !== env.BROKER_CALLERS_FILE || keys !== env.BROKER_ENCRYPTION_KEYS_FILE) {
    throw new Error('the compose file mounts the callers or key file elsewhere than its environment names');
  }
  container.writeFile(callers, secrets.callersJson);
  container.writeFile(keys, secrets.encryptionKeys);
  return {
    ...env,
    PORT: String(ports.broker),
    HOST: '127.0.0.1',
    REDIS_URL: withPort(env.REDIS_URL, ports.redis).replace(/\/$/, ''),
    PROOF_BASE_URL: withPort(env.PROOF_BASE_URL, ports.emulator).replace(/\/$/, ''),
    PROOF_CLIENT_SECRET: secrets.clientSecret,
  };
}

/** Starts the image's CMD and waits until `readyUrl` answers `status`; says why if it does not. */
export async function startService(
  container: ImageContainer,
  label: string,
  run: ChrootRun & { env: Record<string, string> },
  readyUrl: string,
  status = 200,
): Promise<ManagedProcess> {
  recordEnvSecrets(run.env);
  const child = startInContainer(container, label, { hostname: label, ...run });
  try {
    await waitUntil(`${label} at ${readyUrl}`, () => answers(readyUrl, status), {
      timeoutMs: 60_000,
      abort: () => (child.child.exitCode !== null ? `exited with ${child.child.exitCode}` : undefined),
    });
  } catch (error) {
    await child.stop('SIGKILL');
    throw new Error(`${label} did not come up: ${(error as Error).message}\n${child.output().slice(-3_000)}`);
  }
  return child;
}
