import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_MAIN, requireBuilt } from '../support/broker-process';
import { startProcess } from '../support/child-process';
import { freePort } from '../support/free-port';
import { recordSecret } from '../support/leak-ledger';
import { waitUntil } from '../support/wait';
import { grantToken } from './emulator-requests';

function dirWithEnvFile(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-env-file-'));
  writeFileSync(join(dir, '.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
  return dir;
}

// Like the broker: `.env` in the working directory, the environment winning over it.
describe('the emulator process reads .env at boot', () => {
  it('takes what the environment leaves unset from the file', async () => {
    const secret = randomBytes(24).toString('base64url');
    recordSecret('client-secret', secret);
    const port = await freePort();
    const cwd = dirWithEnvFile([
      `EMULATOR_CLIENTS=file-app:${secret}`,
      'EMULATOR_TOKEN_TTL_SECONDS=4321',
      'EMULATOR_TOKEN_POLICY=reuse',
      'EMULATOR_PORT=1',
    ]);
    const env = { EMULATOR_PORT: String(port), EMULATOR_HOST: '127.0.0.1', EMULATOR_TOKEN_POLICY: 'revoke-previous' };
    const emulator = startProcess(process.execPath, [requireBuilt(EMULATOR_MAIN)], { env, cwd });
    try {
      const line = `listening on http://127.0.0.1:${port} (policy=revoke-previous, ttl=4321s, admin=off)`;
      await waitUntil('the listening line', () => emulator.output().includes(line), 60_000);
      const token = await grantToken(`http://127.0.0.1:${port}`, 'file-app', secret);
      expect(token.expires_in).toBe(4321);
    } finally {
      await emulator.stop('SIGTERM');
    }
  }, 90_000);

  it('exits 1 listing a bad value from the file', async () => {
    const cwd = dirWithEnvFile(['EMULATOR_TOKEN_TTL_SECONDS=-5']);
    const emulator = startProcess(process.execPath, [requireBuilt(EMULATOR_MAIN)], { env: {}, cwd });
    expect(await emulator.exited()).toBe(1);
    expect(emulator.output()).toContain('EMULATOR_TOKEN_TTL_SECONDS must be an integer');
  }, 90_000);
});
