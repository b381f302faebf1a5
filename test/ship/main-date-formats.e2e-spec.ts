import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../support/child-process';
import { BROKER_MAIN, requireBuilt } from '../support/broker-process';

// Building an Intl.DateTimeFormat maps ICU data (~5 MB of RSS per replica, docs/BENCHMARKS.md):
// the shipped main.js must load its whole module graph without building one. A preload counts
// the formatters built through a subclass of the real constructor; without configuration the
// broker loads every module, reports what is missing and exits, and the count is printed at exit.
const COUNTER = `
let built = 0;
const Real = Intl.DateTimeFormat;
Intl.DateTimeFormat = class extends Real { constructor(...args) { super(...args); built++; } };
process.on('exit', () => process.stdout.write('date formatters built: ' + built + '\\n'));
`;

describe('the shipped main.js', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'date-formats-'));
    writeFileSync(join(dir, 'count.js'), COUNTER);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds no date formatter while it loads (ICU data stays unmapped)', async () => {
    const child = startProcess(process.execPath, ['--require', join(dir, 'count.js'), requireBuilt(BROKER_MAIN)], {
      env: { PATH: process.env.PATH },
    });
    expect(await child.exited()).toBe(1);
    expect(child.output()).toContain('Invalid broker configuration');
    expect(child.output()).toContain('date formatters built: 0');
  });
});
