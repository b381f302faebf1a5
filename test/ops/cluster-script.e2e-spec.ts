import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireBuilt } from '../support/broker-process';
import { startProcess } from '../support/child-process';
import { freePort } from '../support/free-port';
import { waitUntil } from '../support/wait';

const ROOT = join(__dirname, '..', '..');

const refused = async (url: string) => {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch {
    return true;
  }
};

describe('npm run cluster', () => {
  it('prints a curl that gets a token through HAProxy and each replica metrics URL, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    const script = startProcess(process.execPath, [requireBuilt(join(ROOT, 'dist/scripts/cluster.js'))], {
      env: { PATH: process.env.PATH, CLUSTER_PORT: String(port), BROKER_SHUTDOWN_DELAY_MS: '300' },
    });
    let exitCode: number | null = -1;
    try {
      await waitUntil('the curl line', () => /Ctrl-C to stop/.test(script.output()), 45_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${script.output().slice(-3_000)}`);
      });
      const out = script.output();
      const [, key, url] = /curl -s -H 'Authorization: Bearer ([^']+)' (\S+\/token)\n/.exec(out)!;
      expect(url).toBe(`http://127.0.0.1:${port}/token`);
      const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { access_token: string }).access_token.length).toBeGreaterThan(20);

      const metrics = [...out.matchAll(/^ {2}broker\d: (\S+\/metrics) /gm)].map(([, m]) => m);
      expect(metrics).toHaveLength(3);
      for (const m of metrics)
        expect(await (await fetch(m)).text()).toContain('broker_token_ttl_seconds{profile="default"}');
      const dir = /HAProxy config: (\S+)\/haproxy\.cfg/.exec(out)![1];
      expect(existsSync(dir)).toBe(true);

      exitCode = await script.stop('SIGTERM', 20_000);
      expect(existsSync(dir)).toBe(false);
      for (const target of [url, ...metrics]) expect(await refused(target)).toBe(true);
    } finally {
      if (exitCode === -1) await script.stop('SIGTERM', 20_000);
    }
    expect(exitCode).toBe(0);
  }, 60_000);
});
