// What one access line costs pino in a process of its own (`node dist/bench/pino-line.js`, or
// `npm run bench -- --pino`, which sets it beside the broker's own cost per line). The line is
// the broker's access line (access-log.ts's fields, its logger's options: no redaction), written
// to /dev/null by each destination below. Lines come `perTurn` at a time per event-loop turn
// (setImmediate), as a server writes them (one per request, the loop polling in between),
// not in one tight loop where sonic-boom would join them all into a few writes.
//
// Two clocks: the main thread's CPU per line (/proc/self/task/<pid>/stat: what a request waits
// for) and the whole process's CPU per line (process.cpuUsage: every thread, libuv's pool
// writing included). The cost of the event-loop turns themselves (measured with no line) is
// taken off both.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import pino from 'pino';

interface Destination {
  readonly name: string;
  make(): pino.DestinationStream;
}

const DESTINATIONS: Destination[] = [
  { name: 'no line (the turns alone: subtracted from the others)', make: () => new Writable() },
  {
    name: 'serialize only (a stream that drops the line)',
    make: () => new Writable({ write: (_c, _e, done) => done() }),
  },
  { name: 'sonic-boom sync (fs.writeSync per line)', make: () => pino.destination({ dest: '/dev/null', sync: true }) },
  {
    name: "sonic-boom async, the broker's (the first line of each turn written alone)",
    make: () => pino.destination({ dest: '/dev/null', sync: false }),
  },
  {
    name: 'sonic-boom async, minLength 4096 (lines joined up to 4 KiB)',
    make: () => pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 }),
  },
];

const entry = {
  req: { id: '5f0c6f5e-8d0e-4a8e-9d61-3c1f1f0d6a11', method: 'GET', path: '/token', remoteAddress: '127.0.0.1' },
  res: { statusCode: 200 },
  responseTime: 0.183,
  caller: 'billing',
  profile: 'default',
  fence: 42,
  fingerprint: 'f3a9c2d1e0b4',
};

export interface LineCost {
  readonly destination: string;
  readonly perTurn: number;
  /** Main thread CPU µs per line (the lines, the writes' completion callbacks), the turns' own cost taken off. */
  readonly mainUs: number;
  /** Process CPU µs per line: every thread, the turns' own cost taken off. */
  readonly cpuUs: number;
}

/** CPU seconds of the main thread (its tid is the pid), from /proc: 10 ms ticks, enough over seconds. */
function mainThreadSeconds(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(destination: Destination, perTurn: number, lines: number): Promise<LineCost> {
  const stream = destination.make();
  const logger = pino({ level: 'info', base: { replica: 'bench' } }, stream);
  const log =
    destination.make === DESTINATIONS[0].make ? () => undefined : () => logger.info(entry, 'request completed');
  const run = async (count: number) => {
    for (let written = 0; written < count; written += perTurn) {
      for (let i = 0; i < perTurn; i++) log();
      await nextTurn();
    }
  };
  await run(lines / 10); // warm-up
  const main0 = mainThreadSeconds();
  const cpu0 = process.cpuUsage();
  await run(lines);
  // Writes still queued complete before the clocks stop.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const cpu = process.cpuUsage(cpu0);
  return {
    destination: destination.name,
    perTurn,
    mainUs: ((mainThreadSeconds() - main0) * 1e6) / lines,
    cpuUs: (cpu.user + cpu.system) / lines,
  };
}

export async function measureLines(lines = 200_000): Promise<LineCost[]> {
  const results: LineCost[] = [];
  for (const perTurn of [1, 16]) {
    const [turns, ...rest] = await DESTINATIONS.reduce(
      async (done, d) => [...(await done), await measure(d, perTurn, lines)],
      Promise.resolve<LineCost[]>([]),
    );
    for (const r of rest) results.push({ ...r, mainUs: r.mainUs - turns.mainUs, cpuUs: r.cpuUs - turns.cpuUs });
  }
  return results;
}

if (require.main === module) {
  void measureLines().then((results) => {
    for (const r of results)
      process.stdout.write(
        `${r.destination.padEnd(62)} ${String(r.perTurn).padStart(3)}/turn  main thread ${r.mainUs.toFixed(2).padStart(6)} µs  process ${r.cpuUs.toFixed(2).padStart(6)} µs\n`,
      );
  });
}
