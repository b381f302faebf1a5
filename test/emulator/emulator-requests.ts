import { FORM_CONTENT_TYPE, PROOF_TOKEN_INFO_PATH, PROOF_TOKEN_PATH, ProofTokenResponse } from '@app/proof-contract';
import request from 'supertest';
import { testSecret } from '../support/leak-ledger';

/** The test applications' secrets (app-1 has a second one for rotations): long, random, in the leak ledger. */
export const SECRET_1 = testSecret();
export const SECRET_1B = testSecret();
export const SECRET_2 = testSecret();
/** EMULATOR_CLIENTS for app-1 and app-2. */
export const TWO_APPS = `app-1:${SECRET_1},app-2:${SECRET_2}`;

/** `Authorization: Basic base64(client_id:client_secret)`, as PROOF_API.md shows it. */
export const basic = (clientId: string, secret: string): string =>
  `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;

export const bearer = (token: string): string => `Bearer ${token}`;

/** POST /oauth/v2/token exactly as the docs show: Basic auth plus a form body. */
export function tokenRequest(url: string, clientId: string, secret: string, form = 'grant_type=client_credentials') {
  return request(url)
    .post(PROOF_TOKEN_PATH)
    .set('Authorization', basic(clientId, secret))
    .set('Content-Type', FORM_CONTENT_TYPE)
    .send(form);
}

/** A token that must be granted; fails the test with the response otherwise. */
export async function grantToken(
  url: string,
  clientId: string,
  secret: string,
  form?: string,
): Promise<ProofTokenResponse> {
  const response = await tokenRequest(url, clientId, secret, form);
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${response.text}`);
  return response.body as ProofTokenResponse;
}

export function tokenInfo(url: string, token: string) {
  return request(url).get(PROOF_TOKEN_INFO_PATH).set('Authorization', bearer(token));
}

export function transaction(url: string, token: string) {
  return request(url).get('/v1/transactions/tx-1').set('Authorization', bearer(token));
}

export { setTimeout as sleep } from 'node:timers/promises';

/** supertest types bodies as `any`: each test names the shape it expects instead. */
export const bodyOf = <T>(response: { body: unknown }): T => response.body as T;

export interface ErrorBody {
  error: string;
  error_description?: string;
  message?: string[];
}
