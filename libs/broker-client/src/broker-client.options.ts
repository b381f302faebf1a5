import { readFileSync } from 'node:fs';
import { BrokerClientConfigError } from './broker-client.errors';
import type { CachePolicy, Random } from './cache-policy';

/** What the client reports for the caller's own metrics. Never a token or a key. */
export interface BrokerClientHooks {
  /** A token was fetched from the broker (`changed`: a different token than the one held). */
  refreshed?(event: { profile?: string; changed: boolean; expiresAt: Date; refreshAt: Date }): void;
  /** A request to the broker failed (`stale`: a still-valid cached token is served meanwhile). */
  failed?(event: { profile?: string; error: Error; stale: boolean; retryInMs?: number }): void;
  /** A cached token was handed out past its refresh point because the broker could not be asked. */
  servedStale?(event: { profile?: string; usableUntil: Date }): void;
  /** A token Proof refused was reported to the broker. */
  rejected?(event: { profile?: string; verdict: string }): void;
}

export interface BrokerClientOptions {
  /** The broker's base URL. `http:` only on loopback, unless allowInsecureHttp. */
  readonly url: string;
  /** The caller key (or keyFile: a file holding it, read once). */
  readonly key?: string;
  readonly keyFile?: string;
  /** The broker profile; may be omitted when the broker has one profile or one named default. */
  readonly profile?: string;
  /** Never hand out a token with less than this left (also sent to the broker as min_ttl). */
  readonly minTtlSeconds?: number;
  /** Never hand out a token closer to its expiry than this. Default 30 s. */
  readonly safetyMarginSeconds?: number;
  /** Per request to the broker. Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** Allows an `http:` broker URL outside loopback (the key would cross the network in clear). */
  readonly allowInsecureHttp?: boolean;
  readonly hooks?: BrokerClientHooks;
  /** Tuning and tests: see CachePolicy. */
  readonly policy?: Partial<CachePolicy>;
  /** Tests: a fetch for the broker, a clock and a random source. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly random?: Random;
}

export interface ResolvedOptions {
  readonly tokenUrl: URL;
  readonly rejectedUrl: URL;
  readonly key: string;
  readonly profile?: string;
  readonly requestTimeoutMs: number;
  readonly policy: CachePolicy;
}

const DEFAULT_POLICY: Omit<CachePolicy, 'safetyMarginMs' | 'minTtlMs'> = {
  spreadFraction: 0.05,
  maxSpreadMs: 30_000,
  duePollMs: 100,
  backoffBaseMs: 500,
  backoffMaxMs: 10_000,
};

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Validates the options and reports every problem at once. */
export function resolveOptions(options: BrokerClientOptions): ResolvedOptions {
  const problems: string[] = [];
  let base: URL | undefined;
  try {
    base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') problems.push('url must be http: or https:');
    else if (base.protocol === 'http:' && !LOOPBACK.test(base.hostname) && !options.allowInsecureHttp)
      problems.push('url is http: outside loopback (the key would travel in clear): use https: or allowInsecureHttp');
  } catch {
    problems.push('url is not a valid URL');
  }
  if ((options.key === undefined) === (options.keyFile === undefined))
    problems.push('give exactly one of key, keyFile');
  let key = options.key?.trim() ?? '';
  if (options.keyFile !== undefined) {
    try {
      key = readFileSync(options.keyFile, 'utf8').trim();
    } catch (error) {
      problems.push(`keyFile cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (key === '' && !problems.some((p) => p.startsWith('give') || p.startsWith('keyFile')))
    problems.push('the key is empty');
  const seconds = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value < 0) problems.push(`${name} must be a number >= 0`);
    return value * 1000;
  };
  const minTtlMs = seconds('minTtlSeconds', options.minTtlSeconds, 0);
  const safetyMarginMs = seconds('safetyMarginSeconds', options.safetyMarginSeconds, 30_000);
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  if (!(requestTimeoutMs > 0)) problems.push('requestTimeoutMs must be > 0');
  if (problems.length > 0 || base === undefined) throw new BrokerClientConfigError(problems);
  const tokenUrl = new URL('token', base);
  if (options.profile !== undefined) tokenUrl.searchParams.set('profile', options.profile);
  if (options.minTtlSeconds) tokenUrl.searchParams.set('min_ttl', String(Math.ceil(options.minTtlSeconds)));
  return {
    tokenUrl,
    rejectedUrl: new URL('token/rejected', base),
    key,
    profile: options.profile,
    requestTimeoutMs,
    policy: { ...DEFAULT_POLICY, ...options.policy, minTtlMs, safetyMarginMs },
  };
}
