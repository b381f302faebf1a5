import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The README's prerequisites, `.ci/run`'s apt-get installs and the binaries the tests, scripts
 * and benchmark start, in step: a test that starts a new program fails here until the README
 * and CI install it (a fresh machine once got "haproxy was not found on PATH" from `npm test`).
 */
const ROOT = join(__dirname, '..', '..');

/** The Debian package that brings each program the harness runs. */
const PACKAGE_OF: Record<string, string> = {
  'redis-server': 'redis-server',
  // redis-tools, a dependency of redis-server.
  'redis-cli': 'redis-server',
  haproxy: 'haproxy',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  // The container image builds (test/ship, docker/images.sh).
  buildah: 'buildah',
  mmdebstrap: 'mmdebstrap',
};
/** Part of every Debian install (coreutils, util-linux, mount, libc-bin) or of Node itself. */
// prettier-ignore
const BASE_SYSTEM = new Set([
  'node', 'npm', 'npx', 'sh', 'bash', 'nproc', 'getconf', 'sleep', 'kill', 'du', 'chroot', 'setpriv', 'mount', 'umount',
]);
/** Used only where present, never required: no Debian or npm package of this project brings them. */
const OPTIONAL = new Set([
  // Compares test/support/kustomize-render.ts with `kubectl kustomize` (Debian's kubectl is 1.20, too old).
  'kubectl',
]);

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : sources(path);
    return entry.endsWith('.ts') ? [path] : [];
  });

const quoted = (list: string) => [...list.matchAll(/'([\w.-]+)'/g)].map(([, name]) => name);

/** Programs a source starts or checks for by a literal name. */
function programsIn(text: string): string[] {
  const calls = /\b(?:execFileSync|execFile|spawnSync|spawn|startProcess)\)?\(\s*'([\w.-]+)'/g;
  const managed = /\bstartManagedProcess\(\s*[^,]+,\s*'([\w.-]+)'/g;
  const lists = /\b(?:assert\w*Installed\([^;)]*?|const binary of )\[([^\]]*)\]/g;
  return [
    ...[...text.matchAll(calls)].map(([, name]) => name),
    ...[...text.matchAll(managed)].map(([, name]) => name),
    ...[...text.matchAll(lists)].flatMap(([, list]) => quoted(list)),
  ];
}

const harness = [
  ...new Set(
    ['test', 'scripts', 'bench']
      .flatMap((dir) => sources(join(ROOT, dir)))
      .filter((file) => file !== __filename)
      .flatMap((f) => programsIn(readFileSync(f, 'utf8'))),
  ),
].filter((program) => !BASE_SYSTEM.has(program) && !OPTIONAL.has(program));

const packagesOf = (line: string) =>
  line
    .replace(/^.*apt-get install/, '')
    .replace(/>.*$/, '')
    .split(/[\s`]+/)
    .filter((word) => /^[a-z0-9][\w.+-]*$/.test(word));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ciRun = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
const ciPackages = new Set(
  ciRun
    .split('\n')
    .filter((l) => /apt-get install/.test(l))
    .flatMap(packagesOf),
);
const needed = [...new Set(harness.map((program) => PACKAGE_OF[program] ?? `(no package known for ${program})`))];

describe('prerequisites: README, .ci/run and the test harness agree', () => {
  it('knows the package of every program the harness starts', () => {
    expect(harness.filter((program) => !PACKAGE_OF[program])).toEqual([]);
    expect(harness).toEqual(expect.arrayContaining(['redis-server', 'haproxy', 'promtool']));
  });

  it('installs each of those packages in .ci/run', () => {
    expect(needed.filter((p) => !ciPackages.has(p))).toEqual([]);
  });

  it('names them in one apt-get line of the README, the same packages .ci/run installs', () => {
    const lines = readme.split('\n').filter((line) => /apt-get install/.test(line));
    // The fullest line is the prerequisites line; the diff then names what it lacks.
    const fullest = lines.map(packagesOf).sort((a, b) => b.length - a.length)[0] ?? [];
    expect([...fullest].sort()).toEqual([...ciPackages].sort());
    expect(needed.filter((p) => !fullest.includes(p))).toEqual([]);
  });

  it('finds programs started by literal name, in calls and in install checks', () => {
    const sample = [
      "execFileSync('foo', ['-v'])",
      "await promisify(execFile)(\n  'bar',\n  [])",
      "startManagedProcess('x', 'baz', args)",
      "assertRedisInstalled('why', ['qux', 'quux'])",
      'spawn(process.execPath, [main])',
    ].join('\n');
    expect(programsIn(sample).sort()).toEqual(['bar', 'baz', 'foo', 'quux', 'qux']);
  });
});
