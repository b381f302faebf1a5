import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess } from '../support/child-process';
import { freePort } from '../support/free-port';
import { waitUntil } from '../support/wait';
import { testSecret } from '../support/leak-ledger';
import { grantToken, transaction } from './emulator-requests';

const MAIN = join(__dirname, '../../dist/apps/proof-emulator/src/main.js');

function builtEmulator(): string {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} does not exist: run npm run build first (npx nest build proof-emulator)`);
  return MAIN;
}

// The built artefact, as compose and the broker's multi-process tests run it.
describe('the built emulator as a process', () => {
  it('prints one listening line, serves tokens and exits 0 on SIGTERM', async () => {
    const secrets = [testSecret(), testSecret()];
    const port = await freePort();
    const emulator = startProcess(process.execPath, [builtEmulator()], {
      env: {
        ...process.env,
        EMULATOR_PORT: String(port),
        EMULATOR_HOST: '127.0.0.1',
        EMULATOR_CLIENTS: `proc-app:${secrets.join('|')}`,
        EMULATOR_TOKEN_TTL_SECONDS: '90',
        EMULATOR_TOKEN_POLICY: 'reuse',
        EMULATOR_ADMIN: 'on',
      },
    });
    try {
      const line = `proof-emulator listening on http://127.0.0.1:${port} (policy=reuse, ttl=90s, admin=on)`;
      await waitUntil('the listening line', () => emulator.output().includes(line), 20_000);

      const url = `http://127.0.0.1:${port}`;
      const token = await grantToken(url, 'proc-app', secrets[1]);
      expect(token.expires_in).toBe(90);
      expect((await transaction(url, token.access_token)).status).toBe(200);
      expect((await fetch(`${url}/_emulator/stats`)).status).toBe(200);

      expect(emulator.output().trim().split('\n')).toEqual([line]);
      for (const secret of secrets) expect(emulator.output()).not.toContain(secret);
      expect(await emulator.stop('SIGTERM')).toBe(0);
    } finally {
      await emulator.stop('SIGKILL');
    }
  }, 30_000);

  it('exits 1 at boot with every configuration problem on stderr', async () => {
    const emulator = startProcess(process.execPath, [builtEmulator()], {
      env: { ...process.env, EMULATOR_TOKEN_POLICY: 'bogus', EMULATOR_TOKEN_TTL_SECONDS: '-1', EMULATOR_PORT: '0' },
    });
    let stderr = '';
    emulator.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await emulator.exited()).toBe(1);
    expect(stderr).toContain('EMULATOR_TOKEN_POLICY');
    expect(stderr).toContain('bogus');
    expect(stderr).toContain('EMULATOR_TOKEN_TTL_SECONDS');
    expect(emulator.output()).not.toContain('listening');
  }, 30_000);
});
