import { FORM_CONTENT_TYPE, PROOF_TOKEN_PATH, ProofTokenResponse } from '@app/proof-contract';
import request from 'supertest';
import { StartedEmulator, startEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { EmulatorStats } from '../../apps/proof-emulator/src/admin/emulator-stats.service';
import { TokenLookup } from '../../apps/proof-emulator/src/admin/emulator-admin.service';
import {
  basic,
  bodyOf,
  ErrorBody,
  grantToken,
  SECRET_1,
  SECRET_1B,
  SECRET_2,
  tokenInfo,
  tokenRequest,
  TWO_APPS,
} from './emulator-requests';

describe('admin API (/_emulator)', () => {
  let emulator: StartedEmulator;
  let url: string;
  const admin = () => request(url);
  const fault = (body: object) => admin().post('/_emulator/faults').send(body).expect(200);
  const stats = async () => bodyOf<EmulatorStats>(await admin().get('/_emulator/stats').expect(200));

  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      admin: true,
      tokenTtlSeconds: 3600,
      clients: TWO_APPS,
    });
    url = emulator.url;
  });
  afterAll(() => emulator.close());
  beforeEach(() => admin().post('/_emulator/reset').expect(200));

  describe('faults on the next token requests', () => {
    it('answers 500 for `count` requests, then serves normally', async () => {
      await fault({ mode: '500', count: 2 });
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(500);
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(500);
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    });

    it.each(['503', '429'])('answers %s with Retry-After', async (mode) => {
      await fault({ mode, retryAfterSeconds: 7 });
      const response = await tokenRequest(url, 'app-1', SECRET_1);
      expect(response.status).toBe(Number(mode));
      expect(response.headers['retry-after']).toBe('7');
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    });

    it('delays a request by `latencyMs`, then answers it normally', async () => {
      await fault({ mode: 'latency', latencyMs: 600 });
      const started = Date.now();
      const response = await tokenRequest(url, 'app-1', SECRET_1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(590);
      expect(response.status).toBe(200);
      expect((await tokenInfo(url, bodyOf<ProofTokenResponse>(response).access_token)).status).toBe(200);
    });

    it('drops the connection without any response', async () => {
      await fault({ mode: 'drop' });
      await expect(tokenRequest(url, 'app-1', SECRET_1)).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    });

    it('plays queued faults in order and can be cleared', async () => {
      await fault({ mode: '503' });
      await fault({ mode: '429', count: 2 });
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(503);
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(429);
      await fault({ mode: '500', count: 5 });
      const cleared = await admin().delete('/_emulator/faults').expect(200);
      expect(cleared.body).toEqual({ cleared: 6 });
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    });

    it('rejects invalid fault bodies with 400 listing the problems', async () => {
      const bad = await admin().post('/_emulator/faults').send({ mode: 'explode', count: 0, extra: true }).expect(400);
      expect(bodyOf<ErrorBody>(bad).message).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/mode/),
          expect.stringMatching(/count/),
          expect.stringMatching(/extra/),
        ]),
      );
      const noLatency = await admin().post('/_emulator/faults').send({ mode: 'latency' }).expect(400);
      expect(bodyOf<ErrorBody>(noLatency).message?.join(' ')).toMatch(/latencyMs/);
      await admin().post('/_emulator/faults').set('Content-Type', 'application/json').send('{not json').expect(400);
      expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    });
  });

  it('counts token requests (faulted and failed ones too), issues, revocations and info requests', async () => {
    await fault({ mode: '503' });
    await tokenRequest(url, 'app-1', SECRET_1); // 503
    const granted = await grantToken(url, 'app-1', SECRET_1);
    await tokenRequest(url, 'app-1', 'wrong'); // 401, still app-1's request
    await request(url)
      .post(PROOF_TOKEN_PATH)
      .set('Authorization', basic('app-2', SECRET_2))
      .set('Content-Type', 'text/plain')
      .send('x'); // 415
    await grantToken(url, 'app-2', SECRET_2);
    await tokenInfo(url, granted.access_token);
    await tokenInfo(url, 'unknown');
    await admin().post('/_emulator/revoke-all').expect(200, { revoked: 2 });

    expect(await stats()).toEqual({
      tokenRequests: 5,
      tokensIssued: 2,
      tokensRevoked: 2,
      tokenInfoRequests: 2,
      clients: {
        'app-1': { tokenRequests: 3, tokensIssued: 1, tokensRevoked: 1 },
        'app-2': { tokenRequests: 2, tokensIssued: 1, tokensRevoked: 1 },
      },
    });
  });

  it("replaces a client's secrets (added, then the old one revoked) until reset", async () => {
    const secrets = (uid: string, list: unknown) =>
      admin().put(`/_emulator/clients/${uid}/secrets`).send({ secrets: list });
    const issued = await grantToken(url, 'app-1', SECRET_1);
    await secrets('app-1', [SECRET_1, SECRET_1B]).expect(200, { secrets: 2 });
    expect((await tokenRequest(url, 'app-1', SECRET_1B)).status).toBe(200);
    expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    await secrets('app-1', [SECRET_1B]).expect(200);
    expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(401);
    expect((await tokenInfo(url, issued.access_token)).status).toBe(200);
    await secrets('nope', ['x']).expect(404);
    await secrets('app-1', []).expect(400);
    await admin().post('/_emulator/reset').expect(200);
    expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
    expect((await tokenRequest(url, 'app-1', SECRET_1B)).status).toBe(401);
  });

  it('looks tokens up in order, known or not', async () => {
    const before = Date.now();
    const live = await grantToken(url, 'app-1', SECRET_1);
    const revoked = await grantToken(url, 'app-2', SECRET_2);
    await admin().post('/_emulator/revoke-all').expect(200);
    const third = await grantToken(url, 'app-1', SECRET_1);
    // token/info calls the live token valid (recorded), and the revoked one not (never recorded).
    const info = (token: string) =>
      fetch(`${url}/oauth/v2/token/info`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const beforeInfo = Date.now();
    expect(await info(third.access_token)).toBe(200);
    expect(await info(revoked.access_token)).toBe(401);

    const response = await admin()
      .post('/_emulator/tokens/lookup')
      .send({ tokens: [third.access_token, 'nope', revoked.access_token] })
      .expect(200);
    const [thirdInfo, unknown, revokedInfo] = bodyOf<{ tokens: TokenLookup[] }>(response).tokens;
    expect(thirdInfo).toEqual({
      known: true,
      clientId: 'app-1',
      issuedAtMs: expect.any(Number) as number,
      expiresAtMs: expect.any(Number) as number,
      revokedAtMs: null,
      vouchedAtMs: expect.any(Number) as number,
    });
    expect(thirdInfo.vouchedAtMs).toBeGreaterThanOrEqual(beforeInfo);
    expect(thirdInfo.issuedAtMs).toBeGreaterThanOrEqual(before);
    expect(thirdInfo.expiresAtMs! - thirdInfo.issuedAtMs!).toBe(3_600_000);
    expect(unknown).toEqual({
      known: false,
      clientId: null,
      issuedAtMs: null,
      expiresAtMs: null,
      revokedAtMs: null,
      vouchedAtMs: null,
    });
    expect(revokedInfo.clientId).toBe('app-2');
    expect(revokedInfo.vouchedAtMs).toBeNull();
    expect(revokedInfo.revokedAtMs).toBeGreaterThanOrEqual(revokedInfo.issuedAtMs!);
    expect(live.access_token).not.toBe(third.access_token);

    await admin().post('/_emulator/tokens/lookup').send({ tokens: 'abc' }).expect(400);
  });

  it('switches the token policy at runtime, and reset restores the configured one', async () => {
    await admin().put('/_emulator/policy').send({ policy: 'reuse' }).expect(200, { policy: 'reuse' });
    const first = await grantToken(url, 'app-1', SECRET_1);
    expect((await grantToken(url, 'app-1', SECRET_1)).access_token).toBe(first.access_token);

    await admin().put('/_emulator/policy').send({ policy: 'revoke-previous' }).expect(200);
    const next = await grantToken(url, 'app-1', SECRET_1);
    expect(next.access_token).not.toBe(first.access_token);
    expect((await tokenInfo(url, first.access_token)).status).toBe(401);

    await admin().put('/_emulator/policy').send({ policy: 'sometimes' }).expect(400);
    await admin().post('/_emulator/reset').expect(200);
    const a = await grantToken(url, 'app-1', SECRET_1);
    const b = await grantToken(url, 'app-1', SECRET_1);
    expect(a.access_token).not.toBe(b.access_token);
    expect((await tokenInfo(url, a.access_token)).status).toBe(200);
  });

  it('revoke-all refuses every live token; reset forgets tokens, stats and faults', async () => {
    const token = await grantToken(url, 'app-1', SECRET_1);
    await admin().post('/_emulator/revoke-all').expect(200, { revoked: 1 });
    expect((await tokenInfo(url, token.access_token)).status).toBe(401);

    await fault({ mode: '500', count: 3 });
    await admin().post('/_emulator/reset').expect(200);
    expect(await stats()).toEqual({
      tokenRequests: 0,
      tokensIssued: 0,
      tokensRevoked: 0,
      tokenInfoRequests: 0,
      clients: {},
    });
    const lookup = await admin()
      .post('/_emulator/tokens/lookup')
      .send({ tokens: [token.access_token] })
      .expect(200);
    expect(bodyOf<{ tokens: TokenLookup[] }>(lookup).tokens[0]?.known).toBe(false);
    expect((await tokenRequest(url, 'app-1', SECRET_1)).status).toBe(200);
  });

  it('skews the Date header of every answer (PUT /_emulator/clock) until set back or reset, expiry unchanged', async () => {
    const skewOf = (response: request.Response) => Date.parse(response.headers['date']) - Date.now();
    await admin().put('/_emulator/clock').send({ dateOffsetMs: -600_000 }).expect(200, { dateOffsetMs: -600_000 });
    const granted = await tokenRequest(url, 'app-1', SECRET_1);
    expect(skewOf(granted)).toBeGreaterThan(-605_000);
    expect(skewOf(granted)).toBeLessThan(-595_000);
    expect(bodyOf<ProofTokenResponse>(granted).expires_in).toBe(3600);
    expect(skewOf(await tokenInfo(url, bodyOf<ProofTokenResponse>(granted).access_token))).toBeLessThan(-595_000);

    await admin().put('/_emulator/clock').send({ dateOffsetMs: 3_600_000 }).expect(200);
    expect(skewOf(await tokenRequest(url, 'app-1', SECRET_1))).toBeGreaterThan(3_595_000);
    await admin().post('/_emulator/reset').expect(200);
    expect(Math.abs(skewOf(await tokenRequest(url, 'app-1', SECRET_1)))).toBeLessThan(5_000);

    const refused = await admin().put('/_emulator/clock').send({ dateOffsetMs: 'soon' }).expect(400);
    expect(JSON.stringify(refused.body)).toContain('dateOffsetMs');
    await admin()
      .put('/_emulator/clock')
      .send({ dateOffsetMs: 2 * 86_400_000 })
      .expect(400);
  });
});

describe('emulator options', () => {
  it('has no admin API by default: /_emulator/* is 404', async () => {
    const emulator = await startEmulator({ port: 0 });
    try {
      await request(emulator.url).get('/_emulator/stats').expect(404);
      await request(emulator.url).post('/_emulator/faults').send({ mode: '500' }).expect(404);
      await request(emulator.url).post('/_emulator/reset').expect(404);
      expect((await tokenRequest(emulator.url, 'demo-client', 'demo-secret')).status).toBe(200);
    } finally {
      await emulator.close();
    }
  });

  it('accepts JSON bodies when enforce_content_type is off', async () => {
    const emulator = await startEmulator({ port: 0, enforceContentType: false, clients: `app-1:${SECRET_1}` });
    try {
      const json = await request(emulator.url)
        .post(PROOF_TOKEN_PATH)
        .set('Authorization', basic('app-1', SECRET_1))
        .set('Content-Type', 'application/json')
        .send({ grant_type: 'client_credentials', scope: 'read' });
      expect(json.status).toBe(200);
      expect(bodyOf<ProofTokenResponse>(json).scope).toBe('read');
      const form = await request(emulator.url)
        .post(PROOF_TOKEN_PATH)
        .set('Content-Type', FORM_CONTENT_TYPE)
        .send(`grant_type=client_credentials&client_id=app-1&client_secret=${SECRET_1}`);
      expect(form.status).toBe(200);
      const text = await request(emulator.url)
        .post(PROOF_TOKEN_PATH)
        .set('Authorization', basic('app-1', SECRET_1))
        .set('Content-Type', 'text/plain')
        .send('grant_type=client_credentials');
      expect(text.status).toBe(400);
      expect(bodyOf<ErrorBody>(text).error).toBe('invalid_request');
    } finally {
      await emulator.close();
    }
  });

  it('refuses invalid options with every problem listed', async () => {
    await expect(startEmulator({ tokenTtlSeconds: 0, tokenPolicy: 'bogus' as 'new' })).rejects.toThrow(
      /EMULATOR_TOKEN_TTL_SECONDS[\s\S]*EMULATOR_TOKEN_POLICY/,
    );
  });
});
