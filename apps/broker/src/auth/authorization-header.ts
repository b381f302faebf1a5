import type { IncomingMessage } from 'node:http';

const NAME = 'authorization';

/**
 * The Authorization value to authenticate, or undefined (a 401) when it is missing or sent
 * more than once. Node keeps the first of repeated Authorization lines and drops the others,
 * where a proxy in front may have read the last: a singleton field sent twice (RFC 9110 §5.3)
 * is credentials two parties may read differently, so none. Shared by GET /token's two paths
 * and the guard of the other routes, so that they answer alike.
 */
export function authorizationOf(request: IncomingMessage): string | undefined {
  const value = request.headers.authorization;
  if (value === undefined) return undefined;
  const raw = request.rawHeaders;
  let seen = 0;
  // Names sit at even indexes; the length test skips almost every other header cheaply.
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === NAME.length && raw[i].toLowerCase() === NAME && ++seen > 1) return undefined;
  }
  return value;
}
