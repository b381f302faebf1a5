import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, StartedEmulator } from '../../apps/proof-emulator/src/start-emulator';
import { FAST_TIMINGS, TEST_APP, TEST_CLIENTS, writeCallersFile } from '../support/broker';
import { BrokerProcess, startBrokerProcess } from '../support/broker-process';
import { waitForHttp, waitUntil } from '../support/wait';

/**
 * Preloaded into the broker: on SIGUSR2, writes the URL of every script V8 has parsed (CommonJS
 * and ESM alike, which require.cache does not list) to `<dir>/scripts-<n>.txt`.
 */
const PROBE = `
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
let dumps = 0;
process.on('SIGUSR2', () => {
  const session = new Session();
  session.connect();
  const urls = [];
  session.on('Debugger.scriptParsed', ({ params }) => urls.push(params.url));
  session.post('Debugger.enable', () => {
    session.disconnect();
    writeFileSync(require('node:path').join(__dirname, 'scripts-' + ++dumps + '.txt'), urls.join('\\n'));
  });
});
`;

const SWAGGER = /\/node_modules\/@nestjs\/swagger\//;

describe('@nestjs/swagger in a broker process', () => {
  let emulator: StartedEmulator;
  let broker: BrokerProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'broker-docs-'));
  let dumps = 0;

  /** The scripts the broker has loaded so far. */
  const loadedScripts = async (): Promise<string[]> => {
    const file = join(dir, `scripts-${++dumps}.txt`);
    broker?.process.child.kill('SIGUSR2');
    await waitUntil('the probe to list the scripts', () => existsSync(file), 10_000);
    return readFileSync(file, 'utf8').split('\n');
  };

  beforeAll(async () => {
    writeFileSync(join(dir, 'probe.js'), PROBE);
    emulator = await startEmulator({ clients: TEST_CLIENTS });
  });
  afterAll(async () => {
    await broker?.process.stop();
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is loaded by the first request for /docs, not by serving tokens', async () => {
    const callers = writeCallersFile([{ name: 'svc', roles: ['token:read'], profiles: ['*'] }]);
    broker = await startBrokerProcess('docs', {
      ...FAST_TIMINGS,
      PROOF_BASE_URL: emulator.url,
      PROOF_CLIENT_ID: TEST_APP.id,
      PROOF_CLIENT_SECRET: TEST_APP.secret,
      BROKER_CALLERS_FILE: callers.path,
      NODE_OPTIONS: `--require ${join(dir, 'probe.js')}`,
    });
    await waitForHttp(`${broker.url}/health/ready`, 200, 60_000);
    const token = await fetch(`${broker.url}/token`, { headers: { authorization: `Bearer ${callers.keys.svc}` } });
    expect(token.status).toBe(200);
    await token.arrayBuffer();

    const serving = await loadedScripts();
    // The probe sees ESM packages: Nest's own are there.
    expect(serving.some((url) => url.includes('/node_modules/@nestjs/core/'))).toBe(true);
    expect(serving.filter((url) => SWAGGER.test(url))).toEqual([]);

    const docs = await fetch(`${broker.url}/docs-json`);
    expect(docs.status).toBe(200);
    const document = (await docs.json()) as { paths: Record<string, { get: { responses: object } }> };
    // Terminus documents its probes only with swagger loaded: both answers are there.
    expect(Object.keys(document.paths['/health/ready'].get.responses)).toEqual(['200', '503']);
    expect((await loadedScripts()).some((url) => SWAGGER.test(url))).toBe(true);
  });
});
