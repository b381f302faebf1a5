// Part 5, start-up: a replica started alone on an empty Redis, `runs` times: time from spawn to
// the first 200 of /health/ready (which includes fetching the first token) and RSS once idle.
import { median } from '../lib/load';
import { rssMb, sleep } from '../lib/processes';
import { BenchEmulator, BenchRedis, Callers, startBroker } from '../lib/services';

export interface StartupResult {
  /** Medians over the runs. */
  readonly readyMs: number;
  readonly rssIdle: number;
  readonly readyMsAll: number[];
}

export async function runStartup(
  runs: number,
  { redis, emulator, callers }: { redis: BenchRedis; emulator: BenchEmulator; callers: Callers },
): Promise<StartupResult> {
  const ready: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    await redis.client.flushall();
    const broker = await startBroker(`start-${i + 1}`, {
      redisUrl: redis.url,
      emulatorUrl: emulator.url,
      callersPath: callers.path,
    });
    await sleep(1_000);
    ready.push(broker.readyMs);
    rss.push(rssMb(broker.proc.pid));
    await broker.proc.stop();
  }
  return { readyMs: median(ready), rssIdle: median(rss), readyMsAll: ready };
}
