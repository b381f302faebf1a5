import {
  FORM_CONTENT_TYPE,
  PROOF_REVOKE_PATH,
  PROOF_TOKEN_INFO_PATH,
  ProofTokenInfoResponse,
} from '@app/proof-contract';
import request from 'supertest';
import { StartedEmulator, startEmulator } from '../../apps/proof-emulator/src/start-emulator';
import {
  basic,
  bodyOf,
  ErrorBody,
  grantToken,
  SECRET_1,
  SECRET_2,
  sleep,
  tokenInfo,
  transaction,
  TWO_APPS,
} from './emulator-requests';

const INVALID_TOKEN_BODY = {
  error: 'invalid_token',
  error_description: 'The access token is invalid',
  state: 'unauthorized',
};
const resourceChallenge = (description: string) =>
  `Bearer realm="Doorkeeper", error="invalid_token", error_description="${description}"`;

describe('using tokens: token/info, revoke, resource calls (contract)', () => {
  let emulator: StartedEmulator;
  let url: string;
  const clients = TWO_APPS;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, tokenTtlSeconds: 3600, clients });
    url = emulator.url;
  });
  afterAll(() => emulator.close());

  const revoke = (clientId: string, secret: string, token: string) =>
    request(url)
      .post(PROOF_REVOKE_PATH)
      .set('Authorization', basic(clientId, secret))
      .set('Content-Type', FORM_CONTENT_TYPE)
      .send(`token=${encodeURIComponent(token)}`);

  it('describes a valid token the way Doorkeeper does', async () => {
    const granted = await grantToken(url, 'app-1', SECRET_1);
    const response = await tokenInfo(url, granted.access_token);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      resource_owner_id: null,
      scope: ['read', 'write'],
      expires_in: expect.any(Number) as number,
      application: { uid: 'app-1' },
      created_at: granted.created_at,
    });
    const { expires_in } = bodyOf<ProofTokenInfoResponse>(response);
    expect(expires_in).toBeGreaterThanOrEqual(3590);
    expect(expires_in).toBeLessThanOrEqual(3600);
  });

  it('refuses unknown or missing tokens on token/info with 401 invalid_token', async () => {
    const unknown = await tokenInfo(url, 'not-a-token');
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(INVALID_TOKEN_BODY);
    const missing = await request(url).get(PROOF_TOKEN_INFO_PATH);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual(INVALID_TOKEN_BODY);
  });

  it('serves a resource for a valid token', async () => {
    const granted = await grantToken(url, 'app-2', SECRET_2);
    const response = await request(url)
      .get('/v1/transactions/ot-42')
      .set('Authorization', `Bearer ${granted.access_token}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: 'ot-42', status: 'completed' });
  });

  it('refuses a resource call with an unknown or missing token: 401, empty body, reason in WWW-Authenticate', async () => {
    for (const call of [transaction(url, 'forged'), request(url).get('/v1/transactions/tx-1')]) {
      const response = await call;
      expect(response.status).toBe(401);
      expect(response.text).toBe('');
      expect(response.headers['www-authenticate']).toBe(resourceChallenge('The access token is invalid'));
    }
  });

  it('revokes a token of the calling client (RFC 7009): 200 {}, then info and resources refuse it', async () => {
    const granted = await grantToken(url, 'app-1', SECRET_1);
    const response = await revoke('app-1', SECRET_1, granted.access_token);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});

    const info = await tokenInfo(url, granted.access_token);
    expect(info.status).toBe(401);
    expect(info.body).toEqual(INVALID_TOKEN_BODY);
    const resource = await transaction(url, granted.access_token);
    expect(resource.status).toBe(401);
    expect(resource.text).toBe('');
    expect(resource.headers['www-authenticate']).toBe(resourceChallenge('The access token was revoked'));
    // Revoking again is still 200 {}.
    expect((await revoke('app-1', SECRET_1, granted.access_token)).status).toBe(200);
  });

  it('answers 200 {} for an unknown token', async () => {
    const response = await revoke('app-1', SECRET_1, 'never-issued');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
  });

  it('refuses revocation with bad client authentication (401 invalid_client) and keeps the token', async () => {
    const granted = await grantToken(url, 'app-1', SECRET_1);
    const response = await revoke('app-1', 'wrong', granted.access_token);
    expect(response.status).toBe(401);
    expect(bodyOf<ErrorBody>(response).error).toBe('invalid_client');
    expect(response.headers['www-authenticate']).toContain('error="invalid_client"');
    expect((await tokenInfo(url, granted.access_token)).status).toBe(200);
  });

  it("does not let a client revoke another client's token", async () => {
    const granted = await grantToken(url, 'app-1', SECRET_1);
    const response = await revoke('app-2', SECRET_2, granted.access_token);
    expect(response.status).toBe(403);
    expect(bodyOf<ErrorBody>(response).error).toBe('unauthorized_client');
    expect((await tokenInfo(url, granted.access_token)).status).toBe(200);
  });

  it('accepts form-field client authentication on revoke and enforces the content type', async () => {
    const granted = await grantToken(url, 'app-1', SECRET_1);
    const json = await request(url)
      .post(PROOF_REVOKE_PATH)
      .set('Authorization', basic('app-1', SECRET_1))
      .set('Content-Type', 'application/json')
      .send({ token: granted.access_token });
    expect(json.status).toBe(415);
    expect(json.text).toBe('{}');
    const form = await request(url)
      .post(PROOF_REVOKE_PATH)
      .set('Content-Type', FORM_CONTENT_TYPE)
      .send(`token=${granted.access_token}&client_id=app-1&client_secret=${SECRET_1}`);
    expect(form.status).toBe(200);
    expect((await tokenInfo(url, granted.access_token)).status).toBe(401);
  });
});

describe('token expiry (real time, 2 s TTL)', () => {
  let emulator: StartedEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, tokenTtlSeconds: 2, clients: `app-1:${SECRET_1}` });
  });
  afterAll(() => emulator.close());

  it('expires tokens after the TTL: token/info 401, resources 401 "expired"', async () => {
    const granted = await grantToken(emulator.url, 'app-1', SECRET_1);
    expect(granted.expires_in).toBe(2);
    expect((await transaction(emulator.url, granted.access_token)).status).toBe(200);

    await sleep(3_500);

    const info = await tokenInfo(emulator.url, granted.access_token);
    expect(info.status).toBe(401);
    expect(info.body).toEqual(INVALID_TOKEN_BODY);
    const resource = await transaction(emulator.url, granted.access_token);
    expect(resource.status).toBe(401);
    expect(resource.text).toBe('');
    expect(resource.headers['www-authenticate']).toBe(resourceChallenge('The access token expired'));
  });
});
