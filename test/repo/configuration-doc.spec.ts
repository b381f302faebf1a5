import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_ENV_KEYS, BrokerEnv } from '../../apps/broker/src/config/broker-env.schema';

const ROOT = join(__dirname, '..', '..');
/** The schema's defaults: the one place they live. */
const DEFAULTS = Object.entries(new BrokerEnv())
  .filter(([, value]) => value !== undefined)
  .map(([key, value]) => [key, String(value as string | number)] as const);

/** Rows of the first table of docs/CONFIGURATION.md: the variables named in a row, and its defaults. */
function documentedRows(): { variables: string[]; defaults: string[] }[] {
  const doc = readFileSync(join(ROOT, 'docs/CONFIGURATION.md'), 'utf8');
  const table = /\| variable \| default \| meaning \|\n\| --- \| --- \| --- \|\n((?:\|.*\|\n)+)/.exec(doc)?.[1] ?? '';
  return table
    .trim()
    .split('\n')
    .map((row) => {
      const [, names, defaults] = row.split('|');
      const ticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      const variables = ticked(names).reduce<string[]>(
        // "`X` / `_FILE`" is X and X_FILE.
        (all, name) => [...all, name.startsWith('_') ? `${all[all.length - 1]}${name}` : name],
        [],
      );
      return { variables, defaults: ticked(defaults) };
    });
}

describe('docs/CONFIGURATION.md', () => {
  const rows = documentedRows();

  it('lists exactly the variables the broker reads', () => {
    const documented = rows.flatMap((row) => row.variables);
    expect([...new Set(documented)].sort()).toEqual([...BROKER_ENV_KEYS].sort());
  });

  it('gives every default as the schema has it, and none the schema lacks', () => {
    const wrong = rows.flatMap(({ variables, defaults }) =>
      variables.flatMap((name, i) => {
        const inSchema = DEFAULTS.find(([key]) => key === name)?.[1];
        const inDoc = defaults.length === variables.length ? defaults[i] : undefined;
        return (inSchema === undefined ? undefined : String(inSchema)) === inDoc
          ? []
          : [`${name}: ${inDoc} in the doc`];
      }),
    );
    expect(wrong).toEqual([]);
  });
});

describe('.env.example', () => {
  it('shows the schema default for every variable that has one', () => {
    const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
    const values = new Map(
      lines.filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]),
    );
    const wrong = DEFAULTS.filter(([key, value]) => values.get(key) !== value).map(([key]) => key);
    expect(wrong).toEqual([]);
  });
});
