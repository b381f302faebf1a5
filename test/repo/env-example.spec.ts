import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_ENV_KEYS } from '../../apps/broker/src/config/broker-env.schema';
import { EMULATOR_ENV_DEFAULTS } from '../../apps/proof-emulator/src/config/emulator-config';

const ROOT = join(__dirname, '..', '..');

describe('.env.example', () => {
  const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
  const documented = lines.filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => l.split('=')[0]);

  it('lists exactly the variables the two apps read', () => {
    const read = [...BROKER_ENV_KEYS, ...Object.keys(EMULATOR_ENV_DEFAULTS)];
    expect([...new Set(documented)].sort()).toEqual([...new Set(read)].sort());
  });

  it('has a comment right above every variable (or a group comment above a pair)', () => {
    const undocumented = lines
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => /^[A-Z0-9_]+=/.test(line))
      .filter(
        ({ i }) =>
          !lines[i - 1]?.startsWith('#') && !(lines[i - 2]?.startsWith('#') && /^[A-Z0-9_]+=/.test(lines[i - 1])),
      );
    expect(undocumented.map(({ line }) => line)).toEqual([]);
  });
});
