import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordSecret } from '../support/leak-ledger';
import { scanForLeaks } from '../support/leak-scan';

describe('the leak scan', () => {
  const runDir = process.env.LEAK_SCAN_DIR;
  let dir: string;
  const token = 'q3fXc1m0bXyAbCdEfGhIjKlMnOpQrStUvWxYz012345';
  const secret = 'p@ss w0rd/with+specials';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leak-scan-spec-'));
    process.env.LEAK_SCAN_DIR = dir;
    recordSecret('access-token', token);
    recordSecret('client-secret', secret);
    recordSecret('caller-key', 'never-written-anywhere-key');
    for (const sub of ['output', 'redis', 'metrics']) mkdirSync(join(dir, sub));
  });
  afterEach(() => {
    process.env.LEAK_SCAN_DIR = runDir;
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a token inside a longer base64url run and a URL-encoded secret, naming the file and kind only', () => {
    writeFileSync(join(dir, 'output', 'broker.log'), `{"msg":"x","blob":"AAAA${token}BBBB"}\n`);
    writeFileSync(join(dir, 'redis', 'dump.txt'), `{"key":"k","value":"client_secret=${encodeURIComponent(secret)}"}`);
    writeFileSync(join(dir, 'metrics', 'm.txt'), 'broker_tokens_served_total{caller="a"} 1\n');

    const result = scanForLeaks(dir);

    expect(result.values).toBe(3);
    expect(result.files).toBe(3);
    expect(result.hits).toEqual(
      expect.arrayContaining([
        { kind: 'access-token', file: 'output/broker.log', ledgerIndex: 0 },
        { kind: 'client-secret', file: 'redis/dump.txt', ledgerIndex: 1 },
      ]),
    );
    expect(result.hits).toHaveLength(2);
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it('reports nothing when only fingerprints and parts shorter than a value appear', () => {
    writeFileSync(
      join(dir, 'output', 'broker.log'),
      `fingerprint a1b2c3d4e5f6 ${token.slice(0, 42)} ${secret.slice(1)}\n`,
    );
    expect(scanForLeaks(dir).hits).toEqual([]);
  });
});
