import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../support/child-process';
import { BROKER_MAIN, requireBuilt } from '../support/broker-process';

// What the broker's dependencies build or load at boot but the broker never uses stays unbuilt
// (apps/broker/src/lean-boot.ts, ~4-7 MB of RSS per replica, docs/BENCHMARKS.md). These run the
// built files in plain Node processes: Jest's module registry is not Node's require cache.
const DIST = join(BROKER_MAIN, '..');
const CLASS_VALIDATOR = require.resolve('class-validator');
const CRON = createRequire(require.resolve('@nestjs/schedule')).resolve('cron');

// Preloaded: counts the date formatters built (through the real constructor) and the
// CommonJS files compiled (a stand-in in the require cache is never compiled); `loaded(part)`
// says whether a file whose path contains `part` was.
const TRACKER = `
globalThis.formattersBuilt = 0;
const Real = Intl.DateTimeFormat;
// Callable with or without new, as the real one (cron calls it without).
function Counting(...args) { globalThis.formattersBuilt++; return new Real(...args); }
Counting.prototype = Real.prototype;
Counting.supportedLocalesOf = Real.supportedLocalesOf;
Intl.DateTimeFormat = Counting;
const { Module } = require('node:module');
const compiled = [];
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) { compiled.push(filename); return compile.call(this, content, filename); };
globalThis.loaded = (part) => compiled.some((path) => path.includes(part));
`;
const PHONE_METADATA = 'node_modules/libphonenumber-js/';
const LUXON = 'node_modules/luxon/';

describe('a lean boot', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lean-boot-'));
    writeFileSync(join(dir, 'tracker.js'), TRACKER);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `args` with the tracker preloaded; the last line of output parsed as JSON. */
  async function runNode(args: string[]): Promise<{ code: number | null; output: string; last: unknown }> {
    const child = startProcess(process.execPath, ['--require', join(dir, 'tracker.js'), ...args], {
      env: { PATH: process.env.PATH },
    });
    const code = await child.exited();
    const output = child.output();
    const last = output.trim().split('\n').at(-1) ?? '';
    return { code, output, last: last.startsWith('{') ? JSON.parse(last) : undefined };
  }

  it('the shipped main.js loads its whole module graph without a date formatter, the phone metadata or luxon', async () => {
    // Without configuration the broker loads every module, reports what is missing and exits.
    const report = `process.on('exit', () => console.log(JSON.stringify({ formatters: globalThis.formattersBuilt, phone: loaded('${PHONE_METADATA}'), luxon: loaded('${LUXON}') })))`;
    writeFileSync(join(dir, 'report.js'), report);
    const { code, output, last } = await runNode(['--require', join(dir, 'report.js'), requireBuilt(BROKER_MAIN)]);
    expect(code).toBe(1);
    expect(output).toContain('Invalid broker configuration');
    expect(last).toEqual({ formatters: 0, phone: false, luxon: false });
  });

  it("class-validator's isPhoneNumber and cron's expressions still work after it, loading what they need", async () => {
    const script = `
      require(${JSON.stringify(join(DIST, 'lean-boot.js'))});
      const { isPhoneNumber } = require(${JSON.stringify(CLASS_VALIDATOR)});
      const { CronTime } = require(${JSON.stringify(CRON)});
      const before = { phone: loaded('${PHONE_METADATA}'), luxon: loaded('${LUXON}') };
      const valid = isPhoneNumber('+41 44 668 18 00') && !isPhoneNumber('+41 1');
      const timeout = new CronTime('*/5 * * * * *').getTimeout();
      const after = { phone: loaded('${PHONE_METADATA}'), luxon: loaded('${LUXON}') };
      console.log(JSON.stringify({ before, valid, inFiveSeconds: timeout >= 0 && timeout <= 5000, after }));
    `;
    const { code, output, last } = await runNode(['-e', script]);
    expect(output).not.toContain('Error');
    expect(code).toBe(0);
    expect(last).toEqual({
      before: { phone: false, luxon: false },
      valid: true,
      inFiveSeconds: true,
      after: { phone: true, luxon: true },
    });
  });

  it('deferRequire loads the real module at the first property read, once, and caches it', async () => {
    const heavy = join(dir, 'heavy.js');
    writeFileSync(heavy, 'globalThis.loads = (globalThis.loads ?? 0) + 1; exports.parse = (v) => `parsed ${v}`;');
    const script = `
      const { deferRequire } = require(${JSON.stringify(join(DIST, 'deferred-require.js'))});
      deferRequire(${JSON.stringify(heavy)}, './heavy');
      const standIn = require(${JSON.stringify(heavy)});
      const before = globalThis.loads ?? 0;
      const parsed = standIn.parse('x');
      const keys = Object.keys(standIn);
      const cached = require(${JSON.stringify(heavy)}) !== standIn;
      console.log(JSON.stringify({ before, parsed, keys, loads: globalThis.loads, cached }));
    `;
    const { code, last } = await runNode(['-e', script]);
    expect(code).toBe(0);
    expect(last).toEqual({ before: 0, parsed: 'parsed x', keys: ['parse'], loads: 1, cached: true });
  });
  it("asks Proof for a token and checks one without loading Node's own undici (fetch's ~15-20 MB)", async () => {
    const client = join(DIST, 'token', 'upstream', 'proof-token.client.js');
    const script = `
      const http = require('node:http');
      const { ProofTokenClient } = require(${JSON.stringify(client)});
      const server = http.createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(req.method === 'POST' ? JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 60 }) : '{}');
      }).listen(0, '127.0.0.1', async () => {
        const profile = { name: 'p', clientId: 'id', baseUrl: 'http://127.0.0.1:' + server.address().port };
        const proof = new ProofTokenClient();
        const token = await proof.requestToken(profile, 'secret', 5000);
        const info = await proof.tokenInfo(profile, token.accessToken, 5000);
        server.close();
        const undici = process.moduleLoadList.some((name) => name.includes('undici'));
        console.log(JSON.stringify({ expiresIn: token.expiresInSeconds, active: info.active, undici }));
      });
    `;
    const { code, last } = await runNode(['-e', script]);
    expect(code).toBe(0);
    expect(last).toEqual({ expiresIn: 60, active: true, undici: false });
  });
});
