import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_NODE_FLAGS } from '../../scripts/lib/broker-node-flags';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the V8 flags of a production broker', () => {
  it('are the same for npm start and the Docker image as for the benchmark and npm run cluster', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start;
    const cmd = /^CMD (\[.*\])$/m.exec(read('docker/broker.Dockerfile'))?.[1];
    expect(cmd).toBeDefined();
    expect(start).toBe(['node', ...BROKER_NODE_FLAGS, 'dist/apps/broker/src/main.js'].join(' '));
    expect(JSON.parse(cmd as string)).toEqual(['node', ...BROKER_NODE_FLAGS, 'dist/apps/broker/src/main.js']);
  });
});
