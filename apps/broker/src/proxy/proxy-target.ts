import { InvalidProxyPathError } from './proxy.errors';

export const PROXY_PREFIX = '/proof';

/** RFC 3986 pchar (unreserved, sub-delims, ':' '@') and '/': 1; also allowed in the query ('?'): 2. */
const CHARS = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/")
  CHARS[c.charCodeAt(0)] = 1;
CHARS['?'.charCodeAt(0)] = 2;
const [SLASH, DOT, PERCENT] = [0x2f, 0x2e, 0x25];

/** The value of a hex digit's character code, or -1. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * The byte a `%XY` escape at `at` stands for (the two digits before `end`), or -1 if it is
 * not one: a lone '%' is not a pct-encoded character.
 */
function escaped(url: string, at: number, end: number): number {
  if (at + 2 >= end) return -1;
  const high = hexValue(url.charCodeAt(at + 1));
  const low = hexValue(url.charCodeAt(at + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/**
 * An encoded '/' or '\\', or a control (%00-%1F, %7F): each would let a decoding server see
 * another path than the one checked.
 */
const forbiddenByte = (byte: number) => byte === SLASH || byte === 0x5c || byte < 0x20 || byte === 0x7f;

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
 * absolute-form targets, '.' and '..' segments (also with their dots as %2e), empty segments
 * ('//'; a trailing '/' is allowed), encoded slashes and backslashes, raw backslashes, encoded
 * controls, and characters outside RFC 3986 (path: pchar and '/'; query: those and '?'; every
 * '%' starts a two-hex-digit escape). Throws InvalidProxyPathError (400). One pass over the
 * characters, no regular expression or array per request: it runs on every proxied call.
 */
export function proxyTarget(url: string, basePath: string): string {
  if (!url.startsWith(`${PROXY_PREFIX}/`)) throw new InvalidProxyPathError();
  const queryAt = url.indexOf('?');
  const end = queryAt < 0 ? url.length : queryAt;
  if (end - PROXY_PREFIX.length < 2) throw new InvalidProxyPathError();
  // The segment being read: where it starts, how many dots ('.' or %2e) it has, and whether it has anything else.
  let segment = PROXY_PREFIX.length + 1;
  let dots = 0;
  let onlyDots = true;
  for (let i = segment; i <= end; i++) {
    const code = i === end ? SLASH : url.charCodeAt(i);
    if (code === SLASH) {
      const empty = i === segment;
      // An empty segment is '//' (the last one, after a trailing '/', is allowed).
      if (empty && i !== end) throw new InvalidProxyPathError();
      // A '.' or '..' segment (a non-empty one of dots only: 1 or 2 of them).
      if (!empty && onlyDots && dots <= 2) throw new InvalidProxyPathError();
      segment = i + 1;
      dots = 0;
      onlyDots = true;
      continue;
    }
    let byte = code;
    if (code === PERCENT) {
      byte = escaped(url, i, end);
      if (byte < 0 || forbiddenByte(byte)) throw new InvalidProxyPathError();
      i += 2;
    } else if (code >= 128 || CHARS[code] !== 1) throw new InvalidProxyPathError();
    if (byte === DOT) dots++;
    else onlyDots = false;
  }
  for (let i = end + 1; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === PERCENT) {
      if (escaped(url, i, url.length) < 0) throw new InvalidProxyPathError();
      i += 2;
    } else if (code >= 128 || CHARS[code] === 0) throw new InvalidProxyPathError();
  }
  return `${basePath}${url.slice(PROXY_PREFIX.length)}`;
}
