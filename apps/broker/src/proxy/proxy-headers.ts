import { InvalidRequestError } from '../http/broker.errors';

/** RFC 9110 §7.6.1 (Connection, and the fields it names), plus the classic hop-by-hop list of RFC 2616 §13.5.1. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request fields never sent to Proof: the caller's credentials (replaced by the token), the
 * broker's own profile header, Host (the pool's origin sets it: no Host steering), Expect
 * (the broker has read what it needs), and the caller's address in any of its usual forms.
 */
const NOT_FORWARDED = new Set(['authorization', 'host', 'expect', 'x-broker-profile', 'forwarded', 'x-real-ip', 'via']);

/** Header the proxy sets on Proof's 401 it passes through: the token has been reported (value: the verdict). */
export const TOKEN_REPORTED_HEADER = 'x-broker-token-reported';

const CONTROL = /[\r\n\0]/;

/** What connectionNamed returns when a message's Connection field names nothing new: no Set per message. */
const NONE: ReadonlySet<string> = new Set();

/**
 * The names a Connection field lists (lowercase) beyond HOP_BY_HOP, which every caller drops
 * anyway: they are hop-by-hop for this message. The usual `Connection: keep-alive` of every
 * answer from a Node or nginx upstream names only `keep-alive`, so it costs no Set, no split.
 */
function connectionNamed(raw: readonly string[]): ReadonlySet<string> {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 10 || raw[i].toLowerCase() !== 'connection') continue;
    const value = raw[i + 1];
    const tokens = value.includes(',') ? value.split(',') : [value];
    for (const token of tokens) {
      const name = token.trim().toLowerCase();
      if (!HOP_BY_HOP.has(name)) (named ??= new Set()).add(name);
    }
  }
  return named ?? NONE;
}

/**
 * The caller's header fields as Proof gets them (flat [name, value, ...], names as sent,
 * duplicates kept, in order), without hop-by-hop fields and without NOT_FORWARDED ones.
 * Node's parser already refuses CR, LF and NUL in fields; checked again because a forwarded
 * field is a request line of ours on another connection.
 */
export function forwardedRequestHeaders(raw: readonly string[]): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || NOT_FORWARDED.has(lower) || named.has(lower) || lower.startsWith('x-forwarded-'))
      continue;
    if (CONTROL.test(name) || CONTROL.test(raw[i + 1])) throw new InvalidRequestError('Invalid header field');
    out.push(name, raw[i + 1]);
  }
  return out;
}

/** Proof's response fields as the caller gets them: all but hop-by-hop ones (and those its Connection names). */
export function passedResponseHeaders(raw: readonly string[]): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !named.has(lower)) out.push(raw[i], raw[i + 1]);
  }
  return out;
}
