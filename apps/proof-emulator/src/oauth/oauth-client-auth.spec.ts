import { basicClientIdOf, clientCredentialsOf } from './oauth-client-auth';

const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('clientCredentialsOf', () => {
  it('reads HTTP Basic first, form-decoding both parts (RFC 6749 §2.3.1)', () => {
    expect(clientCredentialsOf(basic('app:s%3Acret'), { client_id: 'form', client_secret: 'x' })).toEqual({
      clientId: 'app',
      clientSecret: 's:cret',
    });
  });

  it('falls back to the client_id / client_secret form fields', () => {
    expect(clientCredentialsOf(undefined, { client_id: 'app', client_secret: 'pw' })).toEqual({
      clientId: 'app',
      clientSecret: 'pw',
    });
    expect(clientCredentialsOf('Bearer abc', { client_id: 'app' })).toEqual({ clientId: 'app', clientSecret: '' });
    expect(clientCredentialsOf(basic('no-colon'), {})).toBeUndefined();
    expect(clientCredentialsOf(undefined, {})).toBeUndefined();
  });

  it('keeps a secret that contains colons whole', () => {
    expect(clientCredentialsOf(basic('app:a:b'), {})?.clientSecret).toBe('a:b');
    expect(basicClientIdOf(basic('app:a:b'))).toBe('app');
  });
});
