import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerConfig } from '../config/broker-config';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { LogDestination } from './log-destination';
import { LogDropsMetric } from './log-drops.metric';

const droppedMetric = async (metrics: BrokerMetrics): Promise<number> => {
  const line = (await metrics.scrape()).split('\n').find((l) => l.startsWith('broker_log_lines_dropped_total '));
  return Number(line?.split(' ')[1]);
};

describe('LogDropsMetric: lines a full log buffer dropped', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'log-drops-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the lines the destination dropped past its bound, once per scrape, and loses none below it', async () => {
    const file = join(dir, 'out.log');
    // A 4 KiB bound: the first write is in flight, the rest of this tick queues up to the bound.
    const destination = new LogDestination(file, 4096);
    const metrics = new BrokerMetrics({ profiles: [] } as unknown as BrokerConfig);
    new LogDropsMetric(metrics, destination).onModuleInit();
    expect(await droppedMetric(metrics)).toBe(0);

    const line = (i: number) => `${JSON.stringify({ msg: 'line', i, pad: 'x'.repeat(90) })}\n`;
    for (let i = 0; i < 200; i++) destination.stream.write(line(i));
    await destination.drained(5_000);

    const written = readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    expect(destination.dropped).toBeGreaterThan(0);
    expect(written + destination.dropped).toBe(200);
    expect(await droppedMetric(metrics)).toBe(destination.dropped);
    // A second scrape adds nothing: each dropped line is counted once.
    expect(await droppedMetric(metrics)).toBe(destination.dropped);
    destination.stream.end();
  });
});
