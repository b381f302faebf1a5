import { parseEmulatorClients } from './emulator-clients';

export const TOKEN_POLICIES = ['new', 'reuse', 'revoke-previous'] as const;
/** Doorkeeper's three behaviours for repeated client_credentials grants (PROOF_API.md). */
export type TokenPolicy = (typeof TOKEN_POLICIES)[number];

export interface EmulatorClient {
  readonly uid: string;
  readonly secrets: readonly string[];
  readonly scopes: readonly string[];
}

export interface EmulatorConfig {
  readonly port: number;
  readonly host: string;
  readonly clients: readonly EmulatorClient[];
  readonly tokenTtlSeconds: number;
  readonly tokenPolicy: TokenPolicy;
  readonly enforceContentType: boolean;
  readonly admin: boolean;
}

/** Injection token of the validated EmulatorConfig. */
export const EMULATOR_CONFIG = Symbol('EMULATOR_CONFIG');

// The single place defaults live: both the env parser and startEmulator() start from them.
export const EMULATOR_ENV_DEFAULTS = {
  EMULATOR_PORT: '4010',
  EMULATOR_HOST: '127.0.0.1',
  EMULATOR_CLIENTS: 'demo-client:demo-secret',
  EMULATOR_TOKEN_TTL_SECONDS: '7200',
  EMULATOR_TOKEN_POLICY: 'new',
  EMULATOR_ENFORCE_CONTENT_TYPE: 'on',
  EMULATOR_ADMIN: 'off',
} as const;

const TRUE_WORDS = ['on', 'true', '1', 'yes'];
const FALSE_WORDS = ['off', 'false', '0', 'no'];

/**
 * Reads every EMULATOR_* variable, validates all of them and throws one Error whose
 * message lists every problem, so a bad deployment is fixed in one round trip.
 */
export function parseEmulatorConfig(env: NodeJS.ProcessEnv): EmulatorConfig {
  const problems: string[] = [];
  const read = (name: keyof typeof EMULATOR_ENV_DEFAULTS): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? EMULATOR_ENV_DEFAULTS[name] : value;
  };
  const integer = (name: keyof typeof EMULATOR_ENV_DEFAULTS, min: number, max: number): number => {
    const raw = read(name);
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
  const flag = (name: keyof typeof EMULATOR_ENV_DEFAULTS): boolean => {
    const raw = read(name).toLowerCase();
    if (!TRUE_WORDS.includes(raw) && !FALSE_WORDS.includes(raw)) {
      problems.push(`${name} must be one of on/off/true/false/1/0, got "${raw}"`);
    }
    return TRUE_WORDS.includes(raw);
  };

  const port = integer('EMULATOR_PORT', 0, 65_535);
  const host = read('EMULATOR_HOST');
  const tokenTtlSeconds = integer('EMULATOR_TOKEN_TTL_SECONDS', 1, 10 * 365 * 24 * 3600);
  const policy = read('EMULATOR_TOKEN_POLICY');
  if (!isTokenPolicy(policy)) {
    problems.push(`EMULATOR_TOKEN_POLICY must be one of ${TOKEN_POLICIES.join('|')}, got "${policy}"`);
  }
  const clients = parseEmulatorClients(read('EMULATOR_CLIENTS'));
  problems.push(...clients.problems.map((p) => `EMULATOR_CLIENTS: ${p}`));
  const enforceContentType = flag('EMULATOR_ENFORCE_CONTENT_TYPE');
  const admin = flag('EMULATOR_ADMIN');

  if (problems.length > 0) {
    throw new Error(`Invalid proof-emulator configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    port,
    host,
    clients: clients.clients,
    tokenTtlSeconds,
    tokenPolicy: policy as TokenPolicy,
    enforceContentType,
    admin,
  };
}

export function isTokenPolicy(value: unknown): value is TokenPolicy {
  return typeof value === 'string' && (TOKEN_POLICIES as readonly string[]).includes(value);
}
