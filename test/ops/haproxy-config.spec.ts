import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertHaproxyInstalled, parseServerStats, renderHaproxyConfig } from '../support/haproxy';

const ROOT = join(__dirname, '..', '..');

/** `haproxy -c`: the config parses and is consistent (warnings such as unresolvable names are fine). */
function haproxyCheck(path: string): void {
  execFileSync('haproxy', ['-c', '-q', '-f', path], { stdio: 'pipe' });
}

describe('HAProxy configs', () => {
  let dir: string;
  beforeAll(() => {
    assertHaproxyInstalled();
    dir = mkdtempSync(join(tmpdir(), 'haproxy-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders a valid local config: readiness checks, fast fall, retries elsewhere', () => {
    const cfg = renderHaproxyConfig({
      port: 18080,
      servers: [
        { name: 'broker1', port: 18081 },
        { name: 'broker2', port: 18082 },
      ],
      statsSocket: join(dir, 'haproxy.sock'),
    });
    const path = join(dir, 'haproxy.cfg');
    writeFileSync(path, cfg);
    expect(() => haproxyCheck(path)).not.toThrow();
    for (const line of [
      'bind 127.0.0.1:18080',
      'balance roundrobin',
      'option httpchk GET /health/ready',
      'http-check expect status 200',
      'default-server inter 500ms fall 2 rise 2',
      'retries 3',
      'option redispatch 1',
      'server broker1 127.0.0.1:18081 check',
      'server broker2 127.0.0.1:18082 check',
      // Fail-open by default: every replica when none is ready.
      'option allbackups',
      'server broker1-open 127.0.0.1:18081 backup',
      'server broker2-open 127.0.0.1:18082 backup',
    ]) {
      expect(cfg).toContain(`\n  ${line}\n`);
    }
    expect(cfg).toMatch(/\n {2}retry-on .*\bconn-failure\b.*\bempty-response\b/);
  });

  it('docker/haproxy.cfg is valid, and fail-open like the local one', () => {
    expect(() => haproxyCheck(join(ROOT, 'docker/haproxy.cfg'))).not.toThrow();
    const cfg = readFileSync(join(ROOT, 'docker/haproxy.cfg'), 'utf8');
    expect(cfg).toMatch(/^\s*option allbackups$/m);
    for (const name of ['broker1', 'broker2', 'broker3'])
      expect(cfg).toMatch(new RegExp(`^\\s*server ${name}-open ${name}:3000 backup$`, 'm'));
  });

  it('renders without the backups when fail-open is turned off', () => {
    const cfg = renderHaproxyConfig({
      port: 1,
      servers: [{ name: 'b1', port: 2 }],
      statsSocket: '/x',
      failOpen: false,
    });
    expect(cfg).not.toContain('backup');
  });

  it('reads server states and retry counters from `show stat`', () => {
    const csv = [
      '# pxname,svname,qcur,stot,wretr,wredis,status,type,',
      'broker,FRONTEND,0,10,,,OPEN,0,',
      'replicas,broker1,0,7,2,1,UP,2,',
      'replicas,broker2,0,3,0,0,DOWN 1/2,2,',
      'replicas,BACKEND,0,10,2,1,UP,1,',
      '',
    ].join('\n');
    expect(Object.fromEntries(parseServerStats(csv))).toEqual({
      broker1: { status: 'UP', retries: 2, redispatches: 1, sessions: 7 },
      broker2: { status: 'DOWN 1/2', retries: 0, redispatches: 0, sessions: 3 },
    });
  });
});
