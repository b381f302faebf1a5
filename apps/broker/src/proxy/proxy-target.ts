import { InvalidProxyPathError } from './proxy.errors';

export const PROXY_PREFIX = '/proof';

/** RFC 3986 pchar (unreserved, sub-delims, ':' '@', pct-encoded) and '/', nothing else. */
const PATH_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
/** Encoded '/', '\' and controls (%00-%1F, %7F): each would let a decoding server see another path. */
const ENCODED_FORBIDDEN = /%(?:2f|5c|[01][0-9a-f]|7f)/i;
/** A '.' or '..' segment, also with its dots percent-encoded (%2e). */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
/** The query: RFC 3986 query characters only (no '#', no spaces or controls). */
const QUERY_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;

/** Whether the request target belongs to the proxy: `/proof/...`, or an absolute-form target naming it. */
export function isProxyTarget(url: string): boolean {
  if (url.startsWith(PROXY_PREFIX)) {
    const next = url.charCodeAt(PROXY_PREFIX.length);
    // '/', '?' or the end: '/proofs' is another route.
    return Number.isNaN(next) || next === 0x2f || next === 0x3f;
  }
  // Absolute-form (RFC 9112 §3.2.2) is for proxies in front of origin servers: never ours to
  // follow, always refused here rather than left to the router.
  return !url.startsWith('/') && /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*\/proof(?:[/?]|$)/.test(url);
}

/**
 * The path and query to send to Proof for a request target taken by isProxyTarget: the part
 * after `/proof`, byte for byte (never decoded or re-encoded, so Proof sees what the caller
 * sent), after refusing everything that could reach another path than the one shown:
 * absolute-form targets, '.' and '..' segments, empty segments ('//'), encoded slashes and
 * backslashes, raw backslashes and encoded controls. Throws InvalidProxyPathError (400).
 */
export function proxyTarget(url: string, basePath: string): string {
  if (!url.startsWith(`${PROXY_PREFIX}/`)) throw new InvalidProxyPathError();
  const queryAt = url.indexOf('?');
  const path = url.slice(PROXY_PREFIX.length, queryAt < 0 ? undefined : queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt);
  if (path.length < 2 || !PATH_CHARS.test(path) || ENCODED_FORBIDDEN.test(path)) throw new InvalidProxyPathError();
  const segments = path.slice(1).split('/');
  // An empty segment is '//' (or a trailing '/' only at the end, which is allowed).
  for (let i = 0; i < segments.length; i++) {
    if ((segments[i] === '' && i < segments.length - 1) || DOT_SEGMENT.test(segments[i]))
      throw new InvalidProxyPathError();
  }
  if (query.length > 0 && !QUERY_CHARS.test(query.slice(1))) throw new InvalidProxyPathError();
  return `${basePath}${path}${query}`;
}
