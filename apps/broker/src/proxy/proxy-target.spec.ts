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
