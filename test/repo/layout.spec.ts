import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'apps/broker/src');

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? [join(dir, entry.name), ...walk(join(dir, entry.name))] : [],
  );
const folders = walk(SRC).map((dir) => relative(SRC, dir));
const sources = [SRC, ...folders.map((f) => join(SRC, f))].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
    .map((name) => join(dir, name)),
);

/** Relative imports of each source file, resolved to files. */
const imports = new Map(
  sources.map((file) => [
    file,
    [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map(
      (m) => `${resolve(dirname(file), m[1])}.ts`,
    ),
  ]),
);

/** The edges between groups (a file's group by `groupOf`), with one import that makes each. */
function groupEdges(groupOf: (file: string) => string): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const [file, targets] of imports) {
    for (const target of targets) {
      const [from, to] = [groupOf(file), groupOf(target)];
      if (from === to || from === '.') continue;
      if (!edges.has(from)) edges.set(from, new Map());
      edges.get(from)!.set(to, `${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  return edges;
}

/** Each edge that lies on a cycle, as the import that makes it. */
function cycles(edges: Map<string, Map<string, string>>): string[] {
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return [...(edges.get(from)?.keys() ?? [])].some((next) => reaches(next, to, seen));
  };
  return [...edges].flatMap(([from, targets]) =>
    [...targets].filter(([to]) => reaches(to, from)).map(([, because]) => because),
  );
}

const folderOf = (depth: number) => (file: string) =>
  relative(SRC, dirname(file)).split('/').slice(0, depth).join('/') || '.';

describe('apps/broker/src layout', () => {
  it('has no import cycle between top-level folders', () => {
    expect(cycles(groupEdges(folderOf(1)))).toEqual([]);
  });

  it('has no import cycle between feature folders (token/serve, token/refresh...)', () => {
    expect(cycles(groupEdges(folderOf(2)))).toEqual([]);
  });

  it('has no import cycle between files, types included', () => {
    expect(cycles(groupEdges((file) => file))).toEqual([]);
  });

  it('is what the layout in docs/DEVELOPING.md shows: every folder, at its depth', () => {
    const readme = readFileSync(join(ROOT, 'docs', 'DEVELOPING.md'), 'utf8');
    const layout = /## Layout\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const listed = new Set(
      [...layout.matchAll(/^( +)([\w.-]+)\//gm)]
        .filter(([, indent]) => indent.length >= 2)
        .map(([, indent, name]) => `${(indent.length - 2) / 2}:${name}`),
    );
    const missing = folders.filter((f) => !listed.has(`${f.split('/').length - 1}:${f.split('/').at(-1)}`));
    expect(missing).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself can fail)', () => {
    const edges = new Map([
      ['a', new Map([['b', 'a.ts -> b.ts']])],
      ['b', new Map([['a', 'b.ts -> a.ts']])],
    ]);
    expect(cycles(edges)).toEqual(['a.ts -> b.ts', 'b.ts -> a.ts']);
  });
});
