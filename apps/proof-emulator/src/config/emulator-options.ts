import { DEFAULT_CLIENT_SCOPES } from './emulator-clients';
import { EmulatorClient, EmulatorConfig, parseEmulatorConfig } from './emulator-config';

/** An application as startEmulator() takes it: scopes default to "read write". */
export type EmulatorClientOption = Omit<EmulatorClient, 'scopes'> & { readonly scopes?: readonly string[] };

export type EmulatorOptions = Partial<Omit<EmulatorConfig, 'clients'>> & {
  /** Applications, or the EMULATOR_CLIENTS syntax (`uid:secret1|secret2,other:secret`). */
  readonly clients?: readonly EmulatorClientOption[] | string;
};

const flag = (value: boolean | undefined) => (value === undefined ? undefined : value ? 'on' : 'off');

/**
 * Turns programmatic options into an EmulatorConfig through the same validation as the
 * environment, so defaults and rules live in parseEmulatorConfig() only. The port
 * defaults to 0 (an OS-chosen free port), which is what tests want.
 */
export function resolveEmulatorConfig(options: EmulatorOptions): EmulatorConfig {
  const clients = options.clients;
  const config = parseEmulatorConfig({
    EMULATOR_PORT: String(options.port ?? 0),
    EMULATOR_HOST: options.host,
    EMULATOR_CLIENTS: typeof clients === 'string' ? clients : undefined,
    EMULATOR_TOKEN_TTL_SECONDS: options.tokenTtlSeconds?.toString(),
    EMULATOR_TOKEN_POLICY: options.tokenPolicy,
    EMULATOR_ENFORCE_CONTENT_TYPE: flag(options.enforceContentType),
    EMULATOR_ADMIN: flag(options.admin),
  });
  if (clients === undefined || typeof clients === 'string') return config;
  const invalid = clients.filter((c) => c.uid === '' || c.secrets.length === 0 || c.secrets.includes(''));
  if (clients.length === 0 || invalid.length > 0) {
    throw new Error('Invalid proof-emulator configuration: clients need a uid and one or more non-empty secrets');
  }
  return {
    ...config,
    clients: clients.map((c) => ({ uid: c.uid, secrets: [...c.secrets], scopes: c.scopes ?? DEFAULT_CLIENT_SCOPES })),
  };
}
