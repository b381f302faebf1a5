import { Writable } from 'node:stream';
import pino from 'pino';
import { AccessLog, type AccessEntry } from './access-log';
import { AuditRecorder, MAX_INTERNED_PATHS } from './audit-recorder';
import { HandoutTally } from './handout-tally';

/** A real pino logger writing into an array of parsed lines. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level, base: { replica: 'r1' } }, stream) };
}

const entry = (statusCode: number, url = '/token/info?profile=a', id = 'req-9'): AccessEntry => ({
  id,
  method: 'GET',
  url,
  remoteAddress: '10.0.0.9',
  statusCode,
  responseTimeMs: 1,
  audit: { caller: 'svc', profile: 'a' },
});

describe('AuditRecorder', () => {
  let clock = 0;
  const recorder = (mode: 'aggregate' | 'all' | 'failures', level = 'info') => {
    const { lines, logger } = capture(level);
    const tally = new HandoutTally(() => clock);
    return { lines, audit: new AuditRecorder(new AccessLog(logger, mode), logger, mode, 1000, undefined, tally) };
  };
  beforeEach(() => {
    jest.useFakeTimers();
    clock = Date.parse('2026-11-29T10:00:00.000Z');
  });
  afterEach(() => jest.useRealTimers());

  it('aggregate: counts handouts per caller, profile and fingerprint; the timer writes one line each', () => {
    const { lines, audit } = recorder('aggregate');
    const served = audit.route('GET', '/token', 200);
    const a = { caller: 'svc', profile: 'a', fence: 3, fingerprint: 'f1f1f1f1f1f1' };
    for (let i = 0; i < 5; i++) {
      expect(audit.counted(served, 200, a)).toBe(true);
      clock += 10;
    }
    audit.counted(served, 200, { ...a, fingerprint: 'f2f2f2f2f2f2', fence: 4 });
    audit.counted(served, 200, { ...a, caller: 'other' });
    expect(lines).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      msg: 'handouts',
      audit: 'aggregate',
      replica: 'r1',
      req: { method: 'GET', path: '/token' },
      res: { statusCode: 200 },
      caller: 'svc',
      profile: 'a',
      fence: 3,
      fingerprint: 'f1f1f1f1f1f1',
      count: 5,
      first: '2026-11-29T10:00:00.000Z',
      last: '2026-11-29T10:00:00.040Z',
      intervalMs: 1000,
    });
    expect(lines.map((l) => [l.caller, l.fingerprint, l.count])).toEqual([
      ['svc', 'f1f1f1f1f1f1', 5],
      ['svc', 'f2f2f2f2f2f2', 1],
      ['other', 'f1f1f1f1f1f1', 1],
    ]);
    // Counts start anew each interval: an idle interval writes nothing.
    jest.advanceTimersByTime(1000);
    expect(lines).toHaveLength(3);
    audit.counted(served, 200, a);
    jest.advanceTimersByTime(1000);
    expect(lines.slice(3).map((l) => l.count)).toEqual([1]);
    void audit.onApplicationShutdown();
  });

  it('aggregate: answers >= 400 keep one line each with their request id; other routes are counted by pattern', () => {
    const { lines, audit } = recorder('aggregate');
    const served = audit.route('GET', '/token', 200);
    expect(audit.counted(served, 401, {})).toBe(false);
    expect(audit.wantsLine(401)).toBe(true);
    audit.record(entry(200), '/token/info');
    audit.record(entry(200, '/token/info'), '/token/info');
    audit.record(entry(204, '/token/rejected'), '/token/rejected');
    audit.record(entry(403, '/token/info', 'req-refused'), '/token/info');
    audit.record(entry(200, '/health/ready'), '/health/ready');
    expect(
      lines.map((l) => [l.msg, (l.req as { id: string }).id, (l.res as { statusCode: number }).statusCode]),
    ).toEqual([['request completed', 'req-refused', 403]]);
    void audit.onApplicationShutdown();
    expect(
      lines
        .slice(1)
        .map((l) => [(l.req as { path: string }).path, (l.res as { statusCode: number }).statusCode, l.count]),
    ).toEqual([
      ['/token/info', 200, 2],
      ['/token/rejected', 204, 1],
    ]);
  });

  it('aggregate: proxied paths (one per id) are interned for an interval, not kept forever', () => {
    const { lines, audit } = recorder('aggregate');
    const first = audit.route('GET', '/v1/transactions/tx-0', 200);
    expect(audit.route('GET', '/v1/transactions/tx-0', 200)).toBe(first);
    for (let i = 0; i <= MAX_INTERNED_PATHS; i++)
      audit.record(entry(200, `/v1/transactions/tx-${i}`), `/v1/transactions/tx-${i}`);
    // Within the interval the same path is still the same route: one line per path.
    audit.record(entry(200, '/v1/transactions/tx-0'), '/v1/transactions/tx-0');
    jest.advanceTimersByTime(1000);
    expect(lines).toHaveLength(MAX_INTERNED_PATHS + 1);
    expect(lines.find((l) => (l.req as { path: string }).path === '/v1/transactions/tx-0')).toMatchObject({ count: 2 });
    // Past the bound, the interval's write let go of them: interned anew.
    expect(audit.route('GET', '/v1/transactions/tx-0', 200)).not.toBe(first);
    expect(audit.route('GET', '/v1/transactions/tx-0', 200)).toEqual(first);
  });

  it('aggregate: under the bound, interned routes are kept across intervals', () => {
    const { audit } = recorder('aggregate');
    const first = audit.route('GET', '/token/info', 200);
    audit.record(entry(200), '/token/info');
    jest.advanceTimersByTime(1000);
    expect(audit.route('GET', '/token/info', 200)).toBe(first);
  });

  it('shutdown writes what was counted since the last interval, and stops the timer', () => {
    const { lines, audit } = recorder('aggregate');
    const served = audit.route('GET', '/token', 200);
    for (let i = 0; i < 7; i++) audit.counted(served, 200, { caller: 'svc', profile: 'a', fingerprint: 'f' });
    void audit.onApplicationShutdown();
    expect(lines.map((l) => l.count)).toEqual([7]);
    audit.counted(served, 200, { caller: 'svc' });
    jest.advanceTimersByTime(5000);
    expect(lines).toHaveLength(1);
  });

  it('all and failures count nothing (AccessLog decides); at warn nothing is counted either', () => {
    for (const [mode, level] of [
      ['all', 'info'],
      ['failures', 'info'],
      ['aggregate', 'warn'],
    ] as const) {
      const { lines, audit } = recorder(mode, level);
      expect(audit.counted(audit.route('GET', '/token', 200), 200, { caller: 'svc' })).toBe(false);
      audit.record(entry(200), '/token/info');
      void audit.onApplicationShutdown();
      expect(lines.map((l) => l.msg)).toEqual(mode === 'all' ? ['request completed'] : []);
    }
  });
});
