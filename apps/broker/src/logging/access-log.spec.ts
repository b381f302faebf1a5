import { Writable } from 'node:stream';
import pino from 'pino';
import { AccessLog, type AccessEntry } from './access-log';

/** A real pino logger writing into an array of parsed lines. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level, base: undefined }, stream) };
}

const entry = (statusCode: number, url = '/token?min_ttl=60'): AccessEntry => ({
  id: 'req-1',
  method: 'GET',
  url,
  remoteAddress: '10.0.0.9',
  statusCode,
  responseTimeMs: 1.5,
  audit: { caller: 'svc', profile: 'default', fence: 3, fingerprint: 'abc123abc123' },
});

describe('AccessLog', () => {
  it('all: one line per request without the query string, 5xx at warn; none for probes', () => {
    const { lines, logger } = capture();
    const log = new AccessLog(logger, 'all');
    for (const status of [200, 401, 503]) log.write(entry(status));
    log.write(entry(200, '/health/ready'));
    log.write(entry(200, '/metrics'));
    expect(lines.map((l) => [l.level, (l.res as { statusCode: number }).statusCode])).toEqual([
      [30, 200],
      [30, 401],
      [40, 503],
    ]);
    expect(lines[0]).toMatchObject({
      msg: 'request completed',
      req: { id: 'req-1', method: 'GET', path: '/token', remoteAddress: '10.0.0.9' },
      caller: 'svc',
      fence: 3,
      fingerprint: 'abc123abc123',
    });
  });

  it('failures: only answers >= 400, and enabled() says so before an entry is built', () => {
    const { lines, logger } = capture();
    const log = new AccessLog(logger, 'failures');
    expect([200, 204, 399, 400, 429, 503].map((status) => log.enabled(status))).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
    for (const status of [200, 403, 429, 500]) log.write(entry(status));
    expect(lines.map((l) => (l.res as { statusCode: number }).statusCode)).toEqual([403, 429, 500]);
  });

  it('follows the logger level: at warn only 5xx lines', () => {
    const { lines, logger } = capture('warn');
    const log = new AccessLog(logger, 'all');
    for (const status of [200, 401, 502]) log.write(entry(status));
    expect(lines.map((l) => (l.res as { statusCode: number }).statusCode)).toEqual([502]);
  });
});
