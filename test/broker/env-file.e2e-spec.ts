import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { writeCallersFile } from '../support/broker';
import { BROKER_MAIN, requireBuilt } from '../support/broker-process';
import { startProcess } from '../support/child-process';
import { freePort } from '../support/free-port';
import { recordSecret } from '../support/leak-ledger';
import { waitForHttp } from '../support/wait';

/** A working directory holding `.env` with these lines (or no `.env` at all). */
function workingDir(lines?: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'broker-env-file-'));
  if (lines) writeFileSync(join(dir, '.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
  return dir;
}

/** Runs the broker in `cwd` with only PATH and `env`, which must fail at boot: its exit code and output. */
async function failedBoot(cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const broker = startProcess(process.execPath, [requireBuilt(BROKER_MAIN)], { env: { PORT: '0', ...env }, cwd });
  const timer = setTimeout(() => void broker.stop('SIGKILL'), 60_000);
  const code = await broker.exited();
  clearTimeout(timer);
  return { code, output: broker.output() };
}

// `cp .env.example .env && npm start`: the broker reads `.env` from its working directory, as
// @nestjs/config does; a variable set in the environment wins over the file's.
describe('the broker process reads .env at boot', () => {
  let emulator: StartedEmulator;
  const secret = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    recordSecret('client-secret', secret);
    emulator = await startEmulator({ clients: `app:${secret}` });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('boots from the file alone, the environment winning where both set a variable', async () => {
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['*'] }]);
    const dir = workingDir([
      '# the Proof application and the callers, from the file only',
      `PROOF_BASE_URL=${emulator.url}`,
      'PROOF_CLIENT_ID=app',
      `PROOF_CLIENT_SECRET="${secret}"`,
      `BROKER_CALLERS_FILE=${callers.path}`,
      // Also set in the environment by startBrokerProcess: these lose.
      'BROKER_REPLICA_ID=from-the-file',
      'PORT=1',
      'HOST=::1',
    ]);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Started by hand for a longer boot wait than startBrokerProcess's: the machine may be busy.
    const broker = startProcess(process.execPath, [requireBuilt(BROKER_MAIN)], {
      env: { PORT: String(port), HOST: '127.0.0.1', BROKER_REPLICA_ID: 'from-the-environment' },
      cwd: dir,
    });
    try {
      const exited = broker.exited().then((code) => Promise.reject(new Error(`exited ${code}: ${broker.output()}`)));
      await Promise.race([waitForHttp(`${url}/health/live`, 200, 60_000), exited]);
      const answer = await fetch(`${url}/token`, { headers: { authorization: `Bearer ${callers.keys.svc}` } });
      expect(answer.status).toBe(200);
      expect(broker.output()).toContain(`token broker from-the-environment listening on ${url}`);
      expect(broker.output()).not.toContain('from-the-file');
    } finally {
      await broker.stop('SIGTERM');
    }
  }, 90_000);

  it("validates the file's values with the environment's in one pass, listing every problem, no value echoed", async () => {
    const dir = workingDir(['LOG_LEVEL=loudest', 'BROKER_CHECK_INTERVAL_MS=soonish']);
    const { code, output } = await failedBoot(dir, { BROKER_ACCESS_LOG: 'sometimes' });
    expect(code).toBe(1);
    expect(output.match(/Invalid broker configuration/g)).toHaveLength(1);
    const problems = output.split('\n').filter((line) => line.startsWith('  - '));
    for (const name of ['LOG_LEVEL', 'BROKER_CHECK_INTERVAL_MS', 'BROKER_ACCESS_LOG', 'BROKER_CALLERS_FILE']) {
      expect(problems.some((line) => line.startsWith(`  - ${name}`))).toBe(true);
    }
    for (const value of ['loudest', 'soonish', 'sometimes']) expect(output).not.toContain(value);
  }, 90_000);

  it('without a .env, reads the environment alone (no error about the file)', async () => {
    const { code, output } = await failedBoot(workingDir());
    expect(code).toBe(1);
    expect(output).toContain('BROKER_CALLERS_FILE');
    expect(output).not.toContain('.env');
  }, 90_000);

  it('stops at boot when .env cannot be read', async () => {
    const dir = workingDir();
    mkdirSync(join(dir, '.env'));
    const { code, output } = await failedBoot(dir);
    expect(code).toBe(1);
    expect(output).toMatch(/^boot failed: .*'\.env'/m);
  }, 90_000);
});
