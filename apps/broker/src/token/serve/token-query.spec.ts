import { parse } from 'node:querystring';
import { InvalidRequestError } from '../../http/broker.errors';
import { parseTokenQuery } from './token-query';

describe('parseTokenQuery', () => {
  it('reads profile and min_ttl (seconds to ms)', () => {
    expect(parseTokenQuery({})).toEqual({ profile: undefined, minTtlMs: 0 });
    expect(parseTokenQuery({ profile: 'prod', min_ttl: '120' })).toEqual({ profile: 'prod', minTtlMs: 120_000 });
    expect(parseTokenQuery({ min_ttl: '86400' }).minTtlMs).toBe(86_400_000);
  });

  it("reads a query parsed by node:querystring (the request listener's: an object without a prototype)", () => {
    expect(parseTokenQuery(parse('profile=prod&min_ttl=60'))).toEqual({ profile: 'prod', minTtlMs: 60_000 });
    expect(parseTokenQuery(parse(''))).toEqual({ profile: undefined, minTtlMs: 0 });
    expect(() => parseTokenQuery(parse('profile=a&profile=b'))).toThrow(InvalidRequestError);
    expect(() => parseTokenQuery(parse('toString=1'))).toThrow(InvalidRequestError);
  });

  it.each([
    [{ foo: '1' }],
    [{ profile: ['a', 'b'] }],
    [{ min_ttl: ['1', '2'] }],
    [{ min_ttl: '-1' }],
    [{ min_ttl: '1.5' }],
    [{ min_ttl: '86401' }],
    [{ min_ttl: '' }],
    [{ min_ttl: '1e3' }],
    [{ min_ttl: '99999999999999999999' }],
  ])('refuses %j with invalid_request', (query) => {
    expect(() => parseTokenQuery(query)).toThrow(InvalidRequestError);
  });
});
