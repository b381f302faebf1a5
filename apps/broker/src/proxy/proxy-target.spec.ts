import { InvalidProxyPathError } from './proxy.errors';
import { isProxyTarget, proxyTarget } from './proxy-target';

describe('isProxyTarget', () => {
  it.each([
    ['/proof/v1/x', true],
    ['/proof', true],
    ['/proof?a=1', true],
    ['http://evil.example/proof/v1/x', true],
    ['https://127.0.0.1:1/proof', true],
    ['/proofs/x', false],
    ['/token', false],
    ['http://evil.example/token', false],
  ])('%s: %s', (url, taken) => {
    expect(isProxyTarget(url)).toBe(taken);
  });
});

describe('proxyTarget', () => {
  it('keeps the path after /proof and the query byte for byte, under the base path', () => {
    expect(proxyTarget('/proof/v1/transactions/42?a=1&b=%20x&a=2', '')).toBe('/v1/transactions/42?a=1&b=%20x&a=2');
    expect(proxyTarget('/proof/v1/a%20b/', '/api')).toBe('/api/v1/a%20b/');
    expect(proxyTarget("/proof/v1/a:b@c;d=e,f!$&'()*+~", '')).toBe("/v1/a:b@c;d=e,f!$&'()*+~");
  });

  it.each([
    ['no path', '/proof'],
    ['an empty path', '/proof/'],
    ['a query without a path', '/proof?a=1'],
    ['an absolute-form target', 'http://evil.example/proof/v1/x'],
    ['..', '/proof/../token'],
    ['.. inside', '/proof/v1/../../token'],
    ['. segment', '/proof/v1/./x'],
    ['encoded ..', '/proof/v1/%2e%2e/x'],
    ['half-encoded ..', '/proof/v1/.%2E/x'],
    ['an encoded slash', '/proof/v1/a%2fb'],
    ['an encoded slash in capitals', '/proof/v1/a%2Fb'],
    ['an encoded backslash', '/proof/v1/a%5cb'],
    ['a backslash', '/proof/v1/a\\b'],
    ['a double slash', '/proof//v1/x'],
    ['a double slash inside', '/proof/v1//x'],
    ['an encoded NUL', '/proof/v1/a%00'],
    ['an encoded CR LF', '/proof/v1/a%0d%0aHost:%20evil'],
    ['a broken escape', '/proof/v1/a%zz'],
    ['a fragment in the query', '/proof/v1/x?a=1#b'],
    ['a space in the query', '/proof/v1/x?a=1 b'],
  ])('refuses %s', (_case, url) => {
    expect(() => proxyTarget(url, '')).toThrow(InvalidProxyPathError);
  });
});

/** The checks as regular expressions (the implementation before the one-pass loop): the reference. */
function referenceTarget(url: string, basePath: string): string {
  const PATH_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
  const ENCODED_FORBIDDEN = /%(?:2f|5c|[01][0-9a-f]|7f)/i;
  const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
  const QUERY_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
  if (!url.startsWith('/proof/')) throw new InvalidProxyPathError();
  const queryAt = url.indexOf('?');
  const path = url.slice('/proof'.length, queryAt < 0 ? undefined : queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt);
  if (path.length < 2 || !PATH_CHARS.test(path) || ENCODED_FORBIDDEN.test(path)) throw new InvalidProxyPathError();
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    if ((segments[i] === '' && i < segments.length - 1) || DOT_SEGMENT.test(segments[i]))
      throw new InvalidProxyPathError();
  }
  if (query.length > 0 && !QUERY_CHARS.test(query.slice(1))) throw new InvalidProxyPathError();
  return `${basePath}${path}${query}`;
}

describe('proxyTarget against the regular expressions it replaced', () => {
  const outcome = (check: () => string) => {
    try {
      return check();
    } catch (error) {
      return error instanceof InvalidProxyPathError ? 'refused' : `threw ${String(error)}`;
    }
  };

  it('gives the same target or the same refusal on 20,000 random request targets', () => {
    const pieces = ['/', '//', '.', '..', '%2e', '%2E', '%2f', '%5C', '%00', '%1f', '%7f', '%41', '%4', '%', '%zz', '%g0',
      '?', '&', '=', 'a', 'Z', '0', '-', '_', '~', "'", '*', ':', '@', ' ', '\\', '#', 'é', '\t', '[', 'v1', 'x%20y']; // prettier-ignore
    let seed = 11;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const targets = [
      '/proof',
      '/proof/',
      '/proof/?',
      '/proof/a?',
      '/proof/a/',
      '/proof/a//',
      '/proof/...',
      '/proof/.a',
    ];
    for (let n = 0; n < 20_000; n++) {
      const count = 1 + Math.floor(next() * 6);
      targets.push(
        `/proof/${Array.from({ length: count }, () => pieces[Math.floor(next() * pieces.length)]).join('')}`,
      );
    }
    let accepted = 0;
    for (const url of targets) {
      const expected = outcome(() => referenceTarget(url, '/base'));
      if (expected !== 'refused') accepted++;
      expect([url, outcome(() => proxyTarget(url, '/base'))]).toEqual([url, expected]);
    }
    // Both outcomes are well represented, so the comparison means something either way.
    expect(accepted).toBeGreaterThan(2_000);
    expect(targets.length - accepted).toBeGreaterThan(2_000);
  });
});
