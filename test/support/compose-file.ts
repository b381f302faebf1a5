import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, YAML11_SCHEMA } from 'js-yaml';

export const DOCKER_DIR = join(__dirname, '..', '..', 'docker');

export interface ComposeService {
  readonly build?: { dockerfile?: string };
  readonly image?: string;
  readonly command?: string[];
  readonly environment?: Record<string, unknown> | string[];
  readonly volumes?: string[];
  readonly ports?: string[];
  readonly stop_grace_period?: string;
}

/**
 * docker/docker-compose.yml as Compose reads it: YAML 1.1, so the merge keys (`<<: *broker`)
 * resolve and unquoted on/off/yes/no are booleans.
 */
export function composeServices(file = 'docker-compose.yml'): Record<string, ComposeService> {
  const text = readFileSync(join(DOCKER_DIR, file), 'utf8');
  return (load(text, { schema: YAML11_SCHEMA }) as { services: Record<string, ComposeService> }).services;
}

/** A service's `environment:`, every value a string as the container sees it. */
export function composeEnv(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  const entries = Array.isArray(env)
    ? env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])
    : Object.entries(env).map(([key, value]) => [key, String(value)]);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Compose durations ("15s", "1m30s") in milliseconds; Docker's default stop timeout is 10 s. */
export function stopGracePeriodMs(service: ComposeService): number {
  const text = service.stop_grace_period ?? '10s';
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(value) * units[unit];
  if (total === 0) throw new Error(`cannot read stop_grace_period ${text}`);
  return total;
}

/** The container path a host file is mounted at (`./callers.json:/config/callers.json:ro`). */
export function volumeTarget(service: ComposeService, hostFile: string): string | undefined {
  return service.volumes?.map((v) => v.split(':')).find(([source]) => source === hostFile)?.[1];
}
