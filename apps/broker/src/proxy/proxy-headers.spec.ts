import { InvalidRequestError } from '../http/broker.errors';
import { forwardedRequestHeaders, passedResponseHeaders } from './proxy-headers';

describe('forwardedRequestHeaders', () => {
  it('drops hop-by-hop fields, those Connection names, credentials, Host and the caller address', () => {
    const raw = [
      'Host',
      'evil.example',
      'Authorization',
      'Bearer caller-key',
      'X-Broker-Profile',
      'alpha',
      'Connection',
      'keep-alive, X-Hop, x-other-hop',
      'Keep-Alive',
      'timeout=5',
      'TE',
      'trailers',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'websocket',
      'Proxy-Authorization',
      'Basic xyz',
      'Proxy-Connection',
      'keep-alive',
      'Trailer',
      'X-T',
      'X-Hop',
      '1',
      'X-Other-Hop',
      '2',
      'X-Forwarded-For',
      '10.0.0.1',
      'x-forwarded-host',
      'evil.example',
      'Forwarded',
      'for=10.0.0.1',
      'X-Real-IP',
      '10.0.0.1',
      'Via',
      '1.1 lb',
      'Expect',
      '100-continue',
      'Content-Type',
      'application/json',
      'X-Dup',
      'a',
      'x-dup',
      'b',
      'Content-Length',
      '12',
    ];
    expect(forwardedRequestHeaders(raw)).toEqual([
      'Content-Type', 'application/json',
      'X-Dup', 'a',
      'x-dup', 'b',
      'Content-Length', '12',
    ]); // prettier-ignore
  });

  it.each(['a\r\nHost: evil', 'a\nb', 'a\0'])('refuses a control character in a value (%j)', (value) => {
    expect(() => forwardedRequestHeaders(['X-A', value])).toThrow(InvalidRequestError);
  });
});

describe('passedResponseHeaders', () => {
  it("passes Proof's fields in order but the hop-by-hop ones", () => {
    const raw = [
      'Content-Type',
      'application/json',
      'Connection',
      'keep-alive, X-Hop',
      'Keep-Alive',
      'timeout=72',
      'Transfer-Encoding',
      'chunked',
      'X-Hop',
      '1',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'WWW-Authenticate',
      'Bearer realm="Doorkeeper"',
      'Proxy-Authenticate',
      'Basic',
    ];
    expect(passedResponseHeaders(raw)).toEqual([
      'Content-Type', 'application/json',
      'Set-Cookie', 'a=1',
      'Set-Cookie', 'b=2',
      'WWW-Authenticate', 'Bearer realm="Doorkeeper"',
    ]); // prettier-ignore
  });

  it('drops a field named alone in Connection, and keeps everything when Connection names only keep-alive', () => {
    expect(passedResponseHeaders(['Connection', 'X-Solo', 'X-Solo', '1', 'X-Kept', '2'])).toEqual(['X-Kept', '2']);
    expect(passedResponseHeaders(['Connection', ' Keep-Alive ', 'X-Kept', '2', 'Keep-Alive', 'timeout=5'])).toEqual([
      'X-Kept',
      '2',
    ]);
  });
});
