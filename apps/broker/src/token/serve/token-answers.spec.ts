import { makeRecord } from '../../../../../test/support/token-records';
import { TokenAnswers } from './token-answers';

const timing = { refreshAtFraction: 0.5, jitterFraction: 0.1, minTtlMs: 1_000 };

describe('TokenAnswers', () => {
  const record = makeRecord('default', 3, { expiresAt: 1_000_000_500 });

  it('serializes the GET /token body with expires_in as whole seconds left, and the refresh hint', () => {
    const hinted = { ...record, receivedAt: 1_000_000_500 - 60_000, refreshAfter: 1_000_000_500 - 30_000 };
    expect(JSON.parse(new TokenAnswers(timing).json(hinted, 1_000_000_500 - 40_200))).toEqual({
      access_token: 'token-default-3',
      token_type: 'Bearer',
      expires_in: 40,
      expires_at: new Date(1_000_000_500).toISOString(),
      // The shared point (30 s left) minus the whole jitter window (a tenth of 60 s).
      refresh_at: new Date(1_000_000_500 - 36_000).toISOString(),
      refresh_in: 4,
      scope: 'read write',
      profile: 'default',
    });
  });

  it('reuses the string while expires_in is unchanged, and not across seconds or tokens', () => {
    const bodies = new TokenAnswers(timing);
    const later = makeRecord('default', 4, { expiresAt: 1_000_010_500 });
    const first = bodies.json(later, 1_000_000_000); // 10.5 s left: expires_in 10
    expect(bodies.json(later, 1_000_000_499)).toBe(first); // 10.001 s left: still 10
    expect(JSON.parse(bodies.json(later, 1_000_000_501)).expires_in).toBe(9);
    const newer = makeRecord('default', 5, { expiresAt: 1_000_010_500, accessToken: 'newer' });
    expect(JSON.parse(bodies.json(newer, 1_000_000_501)).access_token).toBe('newer');
  });
});
