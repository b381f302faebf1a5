import { waitUntil } from '../support/wait';
import { expectCallersUnharmed } from './support/expectations';
import { useFaultCluster } from './support/fault-suite';
import { beforeNextRefreshWindow } from './support/refresh-window';
import { runScenario } from './support/scenario';
import { WRITE_COMMAND } from './support/token-write';

// Issue #17, "no issued token lost": under revoke-previous the token Proof has just issued
// has revoked the served one, so if Redis fails the holder's final write, that token is the
// only servable one there is. The holder must keep it, serve it and write it back.

describe("the holder's token write fails, policy revoke-previous", () => {
  const cluster = useFaultCluster('revoke-previous');

  it('keeps the issued token: one upstream request, written back, callers unharmed, nothing revoked served', async () => {
    const c = cluster();
    let upstream = 0;
    let cuts = 0;
    const result = await runScenario(
      c,
      {
        order: 14,
        name: "the holder's token write reset (6 times: the write, its resend and write-backs)",
        extraUpstream: 0,
      },
      async (s) => {
        await beforeNextRefreshWindow(s, 1_000);
        const fence = (await c.record())!.fence;
        const requestsBefore = (await c.admin.stats()).tokenRequests;
        await s.faultStarted();
        // Every replica's own proxy: whichever takes the lock has its write (and resend) reset.
        c.setRedisMode({ kind: 'cut', contains: WRITE_COMMAND, times: 6 });
        await waitUntil('the new token in Redis', async () => ((await c.storedFence()) ?? 0) > fence, 20_000);
        // Counted as soon as it is stored, before the next refresh (tokens are replaced every ~4 s).
        upstream = (await c.admin.stats()).tokenRequests - requestsBefore;
        cuts = c.replicas.reduce((sum, r) => sum + r.redisProxy.stats().cuts, 0);
        c.setRedisMode({ kind: 'pass' });
        s.healed();
        s.note(
          `${cuts} connection(s) reset on the token write; ${upstream} upstream token request(s) until a new token was stored`,
        );
      },
    );
    expect(cuts).toBeGreaterThanOrEqual(1);
    // The token Proof issued is the one stored: not discarded and asked for again.
    expect(upstream).toBe(1);
    expectCallersUnharmed(result);
  }, 90_000);
});
