import type { BrokerConfig, ProfileConfig } from '../config/broker-config';

/** What a reload would change, described by name only (never a value). */
export interface ConfigChanges {
  /** Differences a running broker applies: callers, client secrets, watched files. */
  readonly reloadable: string[];
  /** Differences only a restart can apply: a reload that has any is refused as a whole. */
  readonly restartOnly: string[];
}

/** Profile fields the token cache, store keys, scheduler and metrics were built from at boot. */
const PROFILE_FIXED = ['baseUrl', 'clientId', 'scope', 'tokenPolicy'] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const encryptionKeysOf = (config: BrokerConfig): string =>
  JSON.stringify(config.encryptionKeys.map((k) => [k.id, k.key.toString('base64')]));

/** The settings read from the environment: a running process's environment cannot change. */
const fromEnvironment = (c: BrokerConfig) => [
  c.port,
  c.host,
  c.replicaId,
  c.logLevel,
  c.accessLog,
  c.auditIntervalMs,
  c.redis,
  c.refresh,
];

/** Pure: compares the running configuration with a freshly loaded one. */
export function compareConfigs(current: BrokerConfig, next: BrokerConfig): ConfigChanges {
  const reloadable: string[] = [];
  const restartOnly: string[] = [];
  const before = new Map(current.profiles.map((p) => [p.name, p]));
  const after = new Map(next.profiles.map((p) => [p.name, p]));
  for (const name of before.keys()) if (!after.has(name)) restartOnly.push(`profile ${name} removed`);
  for (const [name, profile] of after) {
    const old = before.get(name);
    if (!old) {
      restartOnly.push(`profile ${name} added`);
      continue;
    }
    for (const field of PROFILE_FIXED) {
      if (old[field] !== profile[field]) restartOnly.push(`profile ${name}: ${field} changed`);
    }
    if (!same(old.clientSecrets, profile.clientSecrets)) reloadable.push(secretsChange(profile));
  }
  if (encryptionKeysOf(current) !== encryptionKeysOf(next)) restartOnly.push('BROKER_ENCRYPTION_KEYS changed');
  if (!same(fromEnvironment(current), fromEnvironment(next))) restartOnly.push('environment settings changed');
  if (!same(current.callers, next.callers)) reloadable.push(callersChange(current, next));
  if (!same(current.sourceFiles, next.sourceFiles)) reloadable.push('watched files');
  return { reloadable, restartOnly };
}

const secretsChange = (profile: ProfileConfig): string =>
  `profile ${profile.name}: client secrets (${profile.clientSecrets.length})`;

function callersChange(current: BrokerConfig, next: BrokerConfig): string {
  const names = (c: BrokerConfig) => new Set(c.callers.map((caller) => caller.name));
  const [was, now] = [names(current), names(next)];
  const added = [...now].filter((name) => !was.has(name)).map((name) => `+${name}`);
  const removed = [...was].filter((name) => !now.has(name)).map((name) => `-${name}`);
  const keys = next.callers.reduce((sum, caller) => sum + caller.keySha256.length, 0);
  const detail = [...added, ...removed].join(' ');
  return `callers (${next.callers.length} callers, ${keys} keys${detail ? `; ${detail}` : ''})`;
}
