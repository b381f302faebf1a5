import { readFileSync } from 'node:fs';
import { CallerConfig, PROOF_ENVIRONMENTS, ProfileConfig } from './broker-config';
import type { BrokerEnv } from './broker-env.schema';
import { CallerSchema } from './caller.schema';
import { ProfileSchema } from './profile.schema';
import { validateObject } from './validate-object';

// The files a broker configuration names (profiles, client secrets, callers): read and
// validated into the problems list of loadBrokerConfig(), which owns the environment.

export type Problems = string[];

export function readText(path: string, what: string, problems: Problems): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function readJson(path: string, what: string, problems: Problems): unknown {
  const text = readText(path, what, problems);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    problems.push(`${what}: ${path} is not valid JSON`);
    return undefined;
  }
}

/**
 * A profile's client secrets in order of preference (rotation: Proof applications can have
 * several valid secrets). Inline: comma-separated; in a file: one per line.
 */
function secretsOf(
  inline: string | string[] | undefined,
  file: string | undefined,
  where: string,
  problems: Problems,
): string[] {
  if (inline && file) problems.push(`${where}: set the client secret(s) or the secret file, not both`);
  const text = file ? readText(file, `${where} secret file`, problems) : undefined;
  const list = file ? (text ?? '').split(/\r?\n/) : Array.isArray(inline) ? inline : (inline ?? '').split(',');
  const secrets = list.map((secret) => secret.trim()).filter((secret) => secret.length > 0);
  if (secrets.length === 0 && text !== undefined) problems.push(`${where}: at least one client secret is required`);
  if (!inline && !file) problems.push(`${where}: a client secret is required (inline or from a file)`);
  return secrets;
}

export function envProfile(env: BrokerEnv, problems: Problems): ProfileConfig[] {
  if (!env.PROOF_CLIENT_ID) {
    problems.push('PROOF_CLIENT_ID is required (or BROKER_PROFILES_FILE for several profiles)');
    return [];
  }
  const clientSecrets = secretsOf(
    env.PROOF_CLIENT_SECRET,
    env.PROOF_CLIENT_SECRET_FILE,
    'PROOF_CLIENT_SECRET',
    problems,
  );
  const baseUrl = env.PROOF_BASE_URL ?? PROOF_ENVIRONMENTS[env.PROOF_ENVIRONMENT];
  return [
    {
      name: 'default',
      baseUrl,
      clientId: env.PROOF_CLIENT_ID,
      clientSecrets,
      scope: env.PROOF_SCOPE || undefined,
      tokenPolicy: env.PROOF_TOKEN_POLICY,
    },
  ];
}

/** `secretFiles` collects each profile's clientSecretFile: they are watched for reloads too. */
export function fileProfiles(path: string, problems: Problems, secretFiles: string[]): ProfileConfig[] {
  const raw = readJson(path, 'BROKER_PROFILES_FILE', problems);
  const list: unknown = Array.isArray(raw) ? raw : (raw as { profiles?: unknown } | undefined)?.profiles;
  if (raw !== undefined && (!Array.isArray(list) || list.length === 0)) {
    problems.push('BROKER_PROFILES_FILE: expected a non-empty array of profiles (or {"profiles": [...]})');
  }
  if (!Array.isArray(list)) return [];
  const seen = new Set<string>();
  return list.flatMap((entry: unknown, index) => {
    const where = `BROKER_PROFILES_FILE profiles[${index}]`;
    const { value, problems: found } = validateObject(ProfileSchema, entry, where);
    problems.push(...found);
    if (found.length > 0) return [];
    if (seen.has(value.name)) problems.push(`${where}: duplicate profile name "${value.name}"`);
    seen.add(value.name);
    if (value.clientSecretFile) secretFiles.push(value.clientSecretFile);
    const clientSecrets = secretsOf(value.clientSecrets ?? value.clientSecret, value.clientSecretFile, where, problems);
    const baseUrl = value.baseUrl ?? PROOF_ENVIRONMENTS[value.environment ?? 'fairfax'];
    return [
      {
        name: value.name,
        baseUrl,
        clientId: value.clientId,
        clientSecrets,
        scope: value.scope || undefined,
        tokenPolicy: value.tokenPolicy ?? 'new',
      },
    ];
  });
}

export function callers(
  path: string | undefined,
  profiles: readonly ProfileConfig[],
  problems: Problems,
): CallerConfig[] {
  if (!path) {
    problems.push('BROKER_CALLERS_FILE is required: without callers nobody could get a token');
    return [];
  }
  const raw = readJson(path, 'BROKER_CALLERS_FILE', problems);
  const list: unknown = Array.isArray(raw) ? raw : (raw as { callers?: unknown } | undefined)?.callers;
  if (raw !== undefined && !Array.isArray(list)) problems.push('BROKER_CALLERS_FILE: expected an array of callers');
  if (!Array.isArray(list)) return [];
  const known = new Set(profiles.map((profile) => profile.name));
  const hashes = new Set<string>();
  return list.flatMap((entry: unknown, index) => {
    const where = `BROKER_CALLERS_FILE callers[${index}]`;
    const { value, problems: found } = validateObject(CallerSchema, entry, where);
    problems.push(...found);
    if (found.length > 0) return [];
    for (const name of value.profiles) {
      if (name !== '*' && !known.has(name)) problems.push(`${where}: unknown profile "${name}"`);
    }
    for (const hash of value.keySha256) {
      if (hashes.has(hash)) problems.push(`${where}: a key hash is used by two callers`);
      hashes.add(hash);
    }
    const caller = { name: value.name, keySha256: value.keySha256, roles: value.roles, profiles: value.profiles };
    return [value.rateLimit === undefined ? caller : { ...caller, rateLimit: value.rateLimit }];
  });
}
