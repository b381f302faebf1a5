import { FORM_CONTENT_TYPE, PROOF_TOKEN_PATH, ProofTokenInfoResponse, ProofTokenResponse } from '@app/proof-contract';
import request from 'supertest';
import { StartedEmulator, startEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { testSecret } from '../support/leak-ledger';
import {
  basic,
  bodyOf,
  ErrorBody,
  grantToken,
  SECRET_1,
  SECRET_1B,
  tokenInfo,
  tokenRequest,
} from './emulator-requests';

const READ_SECRET = testSecret();

const INVALID_CLIENT_DESCRIPTION =
  'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.';

describe('POST /oauth/v2/token (contract)', () => {
  let emulator: StartedEmulator;
  let url: string;

  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      tokenTtlSeconds: 3600,
      clients: [
        { uid: 'app-1', secrets: [SECRET_1, SECRET_1B] },
        { uid: 'app-read', secrets: [READ_SECRET], scopes: ['read'] },
      ],
    });
    url = emulator.url;
  });
  afterAll(() => emulator.close());

  const expectNoStore = (response: request.Response) => {
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['pragma']).toBe('no-cache');
  };

  it('grants a Bearer token with the documented body and headers', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await tokenRequest(url, 'app-1', SECRET_1);
    const after = Math.floor(Date.now() / 1000);

    expect(response.status).toBe(200);
    expectNoStore(response);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(bodyOf<object>(response)).sort()).toEqual([
      'access_token',
      'created_at',
      'expires_in',
      'scope',
      'token_type',
    ]);
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    expect(bodyOf<ProofTokenResponse>(response).access_token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const { created_at } = bodyOf<ProofTokenResponse>(response);
    expect(created_at).toBeGreaterThanOrEqual(before);
    expect(created_at).toBeLessThanOrEqual(after);
  });

  it('grants the requested subset of the scopes', async () => {
    const response = await tokenRequest(url, 'app-1', SECRET_1, 'grant_type=client_credentials&scope=read');
    expect(response.status).toBe(200);
    const granted = bodyOf<ProofTokenResponse>(response);
    expect(granted.scope).toBe('read');
    expect(bodyOf<ProofTokenInfoResponse>(await tokenInfo(url, granted.access_token)).scope).toEqual(['read']);
  });

  it('accepts every secret of an application and refuses a wrong one', async () => {
    expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    expect((await tokenRequest(url, 'app-1', SECRET_1B)).status).toBe(200);
    expect((await tokenRequest(url, 'app-1', testSecret())).status).toBe(401);
  });

  it('accepts client_id/client_secret form fields instead of Basic auth', async () => {
    const response = await request(url)
      .post(PROOF_TOKEN_PATH)
      .set('Content-Type', FORM_CONTENT_TYPE)
      .send(`grant_type=client_credentials&client_id=app-1&client_secret=${SECRET_1B}`);
    expect(response.status).toBe(200);
    const info = await tokenInfo(url, bodyOf<ProofTokenResponse>(response).access_token);
    expect(bodyOf<ProofTokenInfoResponse>(info).application).toEqual({ uid: 'app-1' });
  });

  it('accepts a charset parameter on the form content type', async () => {
    const response = await request(url)
      .post(PROOF_TOKEN_PATH)
      .set('Authorization', basic('app-1', SECRET_1))
      .set('Content-Type', `${FORM_CONTENT_TYPE}; charset=utf-8`)
      .send('grant_type=client_credentials');
    expect(response.status).toBe(200);
  });

  describe('invalid_client: 401 with WWW-Authenticate', () => {
    const cases: [string, (r: request.Test) => request.Test][] = [
      ['a wrong secret', (r) => r.set('Authorization', basic('app-1', 'nope'))],
      ['an unknown client', (r) => r.set('Authorization', basic('ghost', SECRET_1))],
      ['no client authentication', (r) => r],
      ['a Bearer header instead of Basic', (r) => r.set('Authorization', `Bearer ${SECRET_1}`)],
    ];
    it.each(cases)('for %s', async (_name, authenticate) => {
      const response = await authenticate(request(url).post(PROOF_TOKEN_PATH))
        .set('Content-Type', FORM_CONTENT_TYPE)
        .send('grant_type=client_credentials');
      expect(response.status).toBe(401);
      expectNoStore(response);
      expect(response.body).toEqual({ error: 'invalid_client', error_description: INVALID_CLIENT_DESCRIPTION });
      expect(response.headers['www-authenticate']).toBe(
        `Bearer realm="Doorkeeper", error="invalid_client", error_description="${INVALID_CLIENT_DESCRIPTION}"`,
      );
    });
  });

  it('answers 400 unsupported_grant_type for another grant type', async () => {
    const response = await tokenRequest(url, 'app-1', SECRET_1, 'grant_type=password&username=u&password=p');
    expect(response.status).toBe(400);
    expectNoStore(response);
    expect(response.body).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'The authorization grant type is not supported by the authorization server.',
    });
  });

  it('answers 400 invalid_request without grant_type', async () => {
    const response = await tokenRequest(url, 'app-1', SECRET_1, 'scope=read');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: 'Missing required parameter: grant_type.',
    });
  });

  it('answers 400 invalid_scope for a scope the application lacks', async () => {
    const admin = await tokenRequest(url, 'app-1', SECRET_1, 'grant_type=client_credentials&scope=read%20admin');
    expect(admin.status).toBe(400);
    expect(admin.body).toEqual({
      error: 'invalid_scope',
      error_description: 'The requested scope is invalid, unknown, or malformed.',
    });
    const write = await tokenRequest(url, 'app-read', READ_SECRET, 'grant_type=client_credentials&scope=write');
    expect(write.status).toBe(400);
    expect(bodyOf<ErrorBody>(write).error).toBe('invalid_scope');
    expect(bodyOf<ProofTokenResponse>(await tokenRequest(url, 'app-read', READ_SECRET)).scope).toBe('read');
  });

  it('checks the grant type before the client, and the client before the scope', async () => {
    const badGrantBadClient = await tokenRequest(url, 'app-1', 'wrong', 'grant_type=password');
    expect(bodyOf<ErrorBody>(badGrantBadClient).error).toBe('unsupported_grant_type');
    const badClientBadScope = await tokenRequest(url, 'app-1', 'wrong', 'grant_type=client_credentials&scope=admin');
    expect(bodyOf<ErrorBody>(badClientBadScope).error).toBe('invalid_client');
  });

  describe('415 {} when the body is not form-encoded (enforce_content_type)', () => {
    it.each([
      'application/json',
      'text/plain',
      'text/plain; charset=utf-8',
      'multipart/form-data; boundary=x',
      'garbage',
    ])('for Content-Type %s', async (contentType) => {
      const response = await request(url)
        .post(PROOF_TOKEN_PATH)
        .set('Authorization', basic('app-1', SECRET_1))
        .set('Content-Type', contentType)
        .send(
          contentType === 'application/json' ? '{"grant_type":"client_credentials"}' : 'grant_type=client_credentials',
        );
      expect(response.status).toBe(415);
      expectNoStore(response);
      expect(response.text).toBe('{}');
    });

    it('for a body without Content-Type, before looking at the credentials', async () => {
      const response = await fetch(`${url}${PROOF_TOKEN_PATH}`, {
        method: 'POST',
        headers: { Authorization: basic('app-1', 'wrong') },
        body: new TextEncoder().encode('grant_type=client_credentials'),
      });
      expect(response.status).toBe(415);
      expect(await response.text()).toBe('{}');
    });

    it('for an empty body without Content-Type', async () => {
      const response = await fetch(`${url}${PROOF_TOKEN_PATH}`, {
        method: 'POST',
        headers: { Authorization: basic('app-1', SECRET_1) },
      });
      expect(response.status).toBe(415);
      expect(await response.text()).toBe('{}');
    });
  });

  it('mints a new, distinct token on every request by default', async () => {
    const first = await grantToken(url, 'app-1', SECRET_1);
    const second = await grantToken(url, 'app-1', SECRET_1);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await tokenInfo(url, first.access_token)).status).toBe(200);
    expect((await tokenInfo(url, second.access_token)).status).toBe(200);
  });
});
