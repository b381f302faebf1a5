import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBuilt } from '../support/broker-process';
import { startProcess } from '../support/child-process';
import { freePort } from '../support/free-port';
import { waitUntil } from '../support/wait';

const ROOT = join(__dirname, '..', '..');

describe('the README quick start', () => {
  it('npm scripts run files the build produces', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // Scripts whose JavaScript comes from `npm run build` (the bench compiles its own).
    const built = Object.entries(scripts).filter(([, command]) => !command.includes('tsc -p'));
    const targets = built.flatMap(([name, command]) =>
      [...command.matchAll(/node (?:--\S+ )*(dist\/\S+\.js)/g)].map((m) => [name, m[1]] as const),
    );
    expect(targets.map(([name]) => name)).toEqual(
      expect.arrayContaining(['demo', 'broker:keygen', 'start', 'start:emulator']),
    );
    expect(targets.filter(([, path]) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('npm run demo: prints a curl that gets a token from the broker, and stops cleanly', async () => {
    const port = await freePort();
    const demo = startProcess(process.execPath, [requireBuilt(join(ROOT, 'dist/scripts/demo.js'))], {
      env: { PATH: process.env.PATH, PORT: String(port) },
    });
    try {
      await waitUntil(
        'the curl line',
        () => /curl -s -H 'Authorization: Bearer [^']+' \S+\/token\n/.test(demo.output()),
        20_000,
      );
      const [, key, url] = /curl -s -H 'Authorization: Bearer ([^']+)' (\S+\/token)\n/.exec(demo.output())!;
      expect(url).toBe(`http://127.0.0.1:${port}/token`);
      const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { access_token: string; expires_in: number };
      expect(body.access_token.length).toBeGreaterThan(20);
      expect(body.expires_in).toBeGreaterThan(7000);
    } finally {
      expect(await demo.stop('SIGTERM')).toBe(0);
    }
  });

  it('npm run broker:keygen: prints a 256-bit key and the callers-file entry holding only its hash', () => {
    const out = execFileSync(
      process.execPath,
      [requireBuilt(join(ROOT, 'dist/apps/broker/src/scripts/keygen.js')), 'billing', 'token:read,token:info', '*'],
      {
        encoding: 'utf8',
      },
    );
    const key = /caller key \(shown once, give it to billing\): (\S+)/.exec(out)![1];
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    const entry = JSON.parse(out.slice(out.indexOf('{')));
    expect(entry).toEqual({
      name: 'billing',
      keySha256: [createHash('sha256').update(key).digest('hex')],
      roles: ['token:read', 'token:info'],
      profiles: ['*'],
    });
    expect(out.split(key)).toHaveLength(2);
  });

  it('npm run broker:keygen: refuses an unknown role with a usage message', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(
        process.execPath,
        [requireBuilt(join(ROOT, 'dist/apps/broker/src/scripts/keygen.js')), 'x', 'token:write'],
        { stdio: 'pipe' },
      );
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain('unknown role(s): token:write');
  });
});
