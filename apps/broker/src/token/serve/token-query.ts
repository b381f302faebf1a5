import { InvalidRequestError } from '../../http/broker.errors';

export interface TokenQuery {
  readonly profile?: string;
  /** min_ttl in milliseconds (0 when absent). */
  readonly minTtlMs: number;
}

const ALLOWED = new Set(['profile', 'min_ttl']);

/** The answer for a request without a query (most of them): one frozen object, none per request. */
const NO_PARAMS: TokenQuery = Object.freeze({ profile: undefined, minTtlMs: 0 });

/**
 * The query of GET /token, checked by hand on the hot path (a class-validator pass per
 * request costs more than the rest of the route): unknown or repeated parameters, a
 * non-integer or out-of-range min_ttl are a 400.
 */
export function parseTokenQuery(query: Record<string, unknown>): TokenQuery {
  let profile: string | undefined;
  let minTtlMs = 0;
  let given = false;
  // `for...in` over own keys (a parsed query has no inherited ones): no entries array per request.
  for (const name in query) {
    if (!Object.hasOwn(query, name)) continue;
    given = true;
    const value = query[name];
    if (!ALLOWED.has(name)) throw new InvalidRequestError(`unknown query parameter`);
    if (typeof value !== 'string') throw new InvalidRequestError(`${name} must be given once`);
    if (name === 'profile') profile = value;
    else if (/^\d{1,5}$/.test(value) && Number(value) <= 86_400) minTtlMs = Number(value) * 1000;
    else throw new InvalidRequestError('min_ttl must be an integer number of seconds from 0 to 86400');
  }
  return given ? { profile, minTtlMs } : NO_PARAMS;
}
