import { LiveConfig } from '../../config/live-config.service';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { testSecret } from '../../../../../test/support/leak-ledger';
import { profileOf, unitConfig } from '../../../../../test/support/unit-config';
import type { ProofTokenClient, UpstreamToken } from './proof-token.client';
import { TokenFetcher } from './token-fetcher.service';
import { UpstreamTokenError } from './upstream-token.error';

const T0 = 1_700_000_000_000;
const answer = (accessToken: string, expiresInSeconds: number): UpstreamToken => ({
  accessToken,
  tokenType: 'Bearer',
  scope: 'read',
  expiresInSeconds,
  createdAt: T0 / 1000,
  receivedAt: T0,
});

describe('TokenFetcher', () => {
  const [first, second] = [testSecret(), testSecret()];
  const config = unitConfig({ PROOF_CLIENT_SECRET: `${first},${second}` });
  const profile = profileOf(config);
  let requestToken: jest.Mock<Promise<UpstreamToken>, [unknown, string, number]>;
  let fetcher: TokenFetcher;
  beforeEach(() => {
    requestToken = jest.fn();
    const client = { requestToken } as unknown as ProofTokenClient;
    fetcher = new TokenFetcher(config, client, new BrokerMetrics(config), new LiveConfig(config));
  });

  describe('the expires_in: 0 rule', () => {
    it('takes `expires_in: 0` for the token it holds: Proof reusing it in its last second', async () => {
      requestToken.mockResolvedValue(answer('held-token-of-the-unit-app', 0));
      await expect(fetcher.fetch(profile, 'held-token-of-the-unit-app')).resolves.toMatchObject({
        expiresInSeconds: 0,
      });
    });

    it('fails a new token with `expires_in: 0` like an unreadable answer (a backoff, not a loop)', async () => {
      requestToken.mockResolvedValue(answer('a-new-token-of-the-unit-app', 0));
      const failure = await fetcher.fetch(profile, 'held-token-of-the-unit-app').catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(UpstreamTokenError);
      expect(failure).toMatchObject({ kind: 'transient', code: 'invalid_response', status: 200 });
      // Nothing held at all (a cold start): the same.
      await expect(fetcher.fetch(profile)).rejects.toMatchObject({ code: 'invalid_response' });
    });
  });

  it('tries the next secret once on invalid_client, and starts from the one that worked next time', async () => {
    requestToken
      .mockRejectedValueOnce(new UpstreamTokenError('permanent', 'invalid_client', 401))
      .mockResolvedValue(answer('token-from-the-second-secret', 7200));
    await expect(fetcher.fetch(profile)).resolves.toMatchObject({ secretPosition: 2 });
    await fetcher.fetch(profile);
    expect(requestToken.mock.calls.map(([, secret]) => secret)).toEqual([first, second, second]);
  });

  it('records expiry from receipt time, and a reused token as due just after it expires', () => {
    const fresh = fetcher.toRecord(profile, answer('t', 7200), 3, false);
    expect(fresh).toMatchObject({ fence: 3, expiresAt: T0 + 7_200_000 });
    expect(fresh.refreshAfter).toBeLessThan(fresh.expiresAt);
    const reused = fetcher.toRecord(profile, answer('t', 60), 4, true);
    expect(reused.refreshAfter).toBeGreaterThan(reused.expiresAt);
  });
});
