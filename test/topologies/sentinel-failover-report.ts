/** One primary-kill run of sentinel-failover.e2e-spec.ts, for the printed table. */
export interface FailoverRun {
  readonly run: number;
  readonly requests: number;
  readonly non200: number;
  /** Seconds from the kill until every sentinel names the new primary. */
  readonly switchS: number;
  /** ... until every broker's command connection is on it. */
  readonly movedS: number;
  /** ... until a refresh was written to it (the next refresh point: up to a token window). */
  readonly writtenS: number;
  /** Sentinel events after the kill: the first of each, in seconds, and failover tries. */
  readonly events: string;
  /** Broker Redis connections that ioredis gave up mid-reconnect and the broker connected again. */
  readonly revived: number;
}

/** How many times the brokers' logs say a connection was given up by ioredis and connected again (redis-revival.ts). */
export const revivals = (brokerLogs: string[]): number =>
  brokerLogs.join('\n').split('ioredis gave the connection up').length - 1;

const EVENTS = ['+sdown', '+odown', '+try-failover', '+elected-leader', '+promoted-slave', '+switch-master'];
// 1234:X 29 Nov 2026 22:10:10.123 # +sdown master broker-test 127.0.0.1 6379
const LINE = /^\d+:X (\d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3}) \S ([+-][\w-]+)/;

/** The sentinels' view of a failover: when each step first happened after `since`, and how many tries. */
export function failoverEvents(logs: string[], since: number): string {
  const seen = new Map<string, number>();
  let tries = 0;
  let aborts = 0;
  for (const line of logs.flatMap((log) => log.split('\n'))) {
    const match = LINE.exec(line);
    if (!match) continue;
    const at = Date.parse(`${match[1]}Z`);
    if (!(at >= since - 1_000)) continue;
    const event = match[2];
    if (event === '+try-failover') tries++;
    if (event.startsWith('-failover-abort')) aborts++;
    if (EVENTS.includes(event) && !seen.has(event)) seen.set(event, at);
  }
  const steps = EVENTS.filter((e) => seen.has(e)).map((e) => `${e} ${((seen.get(e)! - since) / 1000).toFixed(1)}`);
  return `${steps.join(', ')}; ${tries} tries, ${aborts} aborted`;
}

export function formatFailoverRuns(runs: readonly FailoverRun[]): string {
  return [
    '| run | requests | non-200 | sentinels switched (s) | brokers moved (s) | refresh written (s) | connections revived | sentinel events (s after kill) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(
      (r) =>
        `| ${r.run} | ${r.requests} | ${r.non200} | ${r.switchS.toFixed(1)} | ${r.movedS.toFixed(1)} | ${r.writtenS.toFixed(1)} | ${r.revived} | ${r.events} |`,
    ),
  ].join('\n');
}
