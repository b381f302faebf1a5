import { StartedEmulator, startEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { grantToken, SECRET_1, SECRET_2, sleep, tokenInfo, transaction, TWO_APPS } from './emulator-requests';

// Doorkeeper's three behaviours for repeated client_credentials grants (PROOF_API.md).
describe('token policies', () => {
  const clients = TWO_APPS;

  describe('new (default): every request mints a token, earlier ones stay valid', () => {
    let emulator: StartedEmulator;
    beforeAll(async () => (emulator = await startEmulator({ port: 0, clients, tokenTtlSeconds: 3600 })));
    afterAll(() => emulator.close());

    it('returns two distinct tokens, both valid', async () => {
      const first = await grantToken(emulator.url, 'app-1', SECRET_1);
      const second = await grantToken(emulator.url, 'app-1', SECRET_1);
      expect(second.access_token).not.toBe(first.access_token);
      expect((await tokenInfo(emulator.url, first.access_token)).status).toBe(200);
      expect((await transaction(emulator.url, first.access_token)).status).toBe(200);
      expect((await transaction(emulator.url, second.access_token)).status).toBe(200);
    });
  });

  describe('reuse: the same unexpired token comes back', () => {
    let emulator: StartedEmulator;
    beforeAll(
      async () => (emulator = await startEmulator({ port: 0, clients, tokenTtlSeconds: 3, tokenPolicy: 'reuse' })),
    );
    afterAll(() => emulator.close());

    it('returns the same token with its created_at and a shrinking expires_in, and a new one after expiry', async () => {
      const first = await grantToken(emulator.url, 'app-1', SECRET_1);
      expect(first.expires_in).toBe(3);
      await sleep(1_100);
      const again = await grantToken(emulator.url, 'app-1', SECRET_1);
      expect(again.access_token).toBe(first.access_token);
      expect(again.created_at).toBe(first.created_at);
      expect(again.expires_in).toBeLessThan(first.expires_in);

      await sleep(3_500);
      const fresh = await grantToken(emulator.url, 'app-1', SECRET_1);
      expect(fresh.access_token).not.toBe(first.access_token);
      expect(fresh.expires_in).toBe(3);
      expect((await tokenInfo(emulator.url, first.access_token)).status).toBe(401);
    });

    it('does not share tokens between applications or scopes', async () => {
      const app1 = await grantToken(emulator.url, 'app-1', SECRET_1);
      const app2 = await grantToken(emulator.url, 'app-2', SECRET_2);
      const readOnly = await grantToken(emulator.url, 'app-1', SECRET_1, 'grant_type=client_credentials&scope=read');
      expect(new Set([app1.access_token, app2.access_token, readOnly.access_token]).size).toBe(3);
      expect(readOnly.scope).toBe('read');
    });
  });

  describe('revoke-previous: a new token revokes the previous ones at once', () => {
    let emulator: StartedEmulator;
    beforeAll(async () => {
      emulator = await startEmulator({ port: 0, clients, tokenTtlSeconds: 3600, tokenPolicy: 'revoke-previous' });
    });
    afterAll(() => emulator.close());

    it("refuses the old token as soon as a new one is issued, and leaves other apps' tokens alone", async () => {
      const other = await grantToken(emulator.url, 'app-2', SECRET_2);
      const first = await grantToken(emulator.url, 'app-1', SECRET_1);
      const second = await grantToken(emulator.url, 'app-1', SECRET_1);
      expect(second.access_token).not.toBe(first.access_token);

      expect((await tokenInfo(emulator.url, first.access_token)).status).toBe(401);
      const resource = await transaction(emulator.url, first.access_token);
      expect(resource.status).toBe(401);
      expect(resource.headers['www-authenticate']).toContain('error_description="The access token was revoked"');
      expect((await tokenInfo(emulator.url, second.access_token)).status).toBe(200);
      expect((await tokenInfo(emulator.url, other.access_token)).status).toBe(200);
    });
  });
});
