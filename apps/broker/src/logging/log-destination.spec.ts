import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { LogDestination } from './log-destination';

const line = (i: number) => `${JSON.stringify({ msg: 'request completed', i })}\n`;
const linesIn = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;

/** Polls until `file` holds `count` lines (real time: the writes go through libuv's pool). */
async function untilLines(file: string, count: number): Promise<number> {
  for (let waited = 0; waited < 5_000 && linesIn(file) < count; waited += 10) await sleep(10);
  return linesIn(file);
}

describe('LogDestination: the lines of one event-loop turn leave in one write', () => {
  let dir: string;
  let file: string;
  let destination: LogDestination;
  let writes: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'log-destination-'));
    file = join(dir, 'out.log');
    destination = new LogDestination(file);
    writes = 0;
    destination.stream.on('write', () => writes++);
  });
  afterEach(() => {
    destination.stream.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the lines of a turn together, not the first one alone', async () => {
    await new Promise((resolve) => destination.stream.once('ready', resolve));
    for (let i = 0; i < 50; i++) destination.stream.write(line(i));
    expect(await untilLines(file, 50)).toBe(50);
    expect(writes).toBe(1);
  });

  it('leaves no line behind: one line alone, and lines queued while a write was in flight', async () => {
    await new Promise((resolve) => destination.stream.once('ready', resolve));
    destination.stream.write(line(0));
    expect(await untilLines(file, 1)).toBe(1);
    // The turn's flush (a setImmediate queued by the write, ahead of nextTurn's) starts a write;
    // the next line arrives while it is in flight (its completion waits for the poll phase), far
    // below the batch size, and nothing is written after it.
    destination.stream.write(line(1));
    await nextTurn();
    destination.stream.write(line(2));
    expect(await untilLines(file, 3)).toBe(3);
    destination.stream.write(line(3));
    expect(await untilLines(file, 4)).toBe(4);
  });

  it('drained() resolves once every queued line is written', async () => {
    for (let i = 0; i < 10; i++) destination.stream.write(line(i));
    await destination.drained(5_000);
    expect(linesIn(file)).toBe(10);
  });
});
