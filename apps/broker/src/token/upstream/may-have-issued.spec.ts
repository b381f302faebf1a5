import { mayHaveIssued } from './may-have-issued';
import { UpstreamTokenError } from './upstream-token.error';

describe('mayHaveIssued', () => {
  it('takes a failure without an HTTP answer, or an unreadable 200, as a token Proof may have issued', () => {
    const sent = (code: string) =>
      new UpstreamTokenError('transient', 'network', undefined, undefined, {
        cause: Object.assign(new Error(`connect ${code}`), { code }),
      });
    expect(mayHaveIssued(new UpstreamTokenError('transient', 'timeout'))).toBe(true);
    expect(mayHaveIssued(sent('ECONNRESET'))).toBe(true);
    expect(mayHaveIssued(new UpstreamTokenError('transient', 'invalid_response', 200))).toBe(true);
    expect(mayHaveIssued(new Error('unexpected'))).toBe(true);
    // An error answer, or a connection that never opened: Proof issued nothing.
    expect(mayHaveIssued(new UpstreamTokenError('transient', 'upstream_5xx', 503))).toBe(false);
    expect(mayHaveIssued(new UpstreamTokenError('transient', 'rate_limited', 429))).toBe(false);
    expect(mayHaveIssued(new UpstreamTokenError('permanent', 'invalid_client', 401))).toBe(false);
    expect(mayHaveIssued(sent('ECONNREFUSED'))).toBe(false);
  });
});
