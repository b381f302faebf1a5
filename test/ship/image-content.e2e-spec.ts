import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BROKER_IMAGE, buildImages, canBuildImages, EMULATOR_IMAGE } from '../support/images';
import { containerBytes, ImageContainer, mountImage } from '../../scripts/lib/image-container';

const buildable = canBuildImages();
if (!buildable)
  console.warn('test/ship skipped: buildah or mmdebstrap is missing (apt-get install -y buildah mmdebstrap)');
const describeImages = buildable ? describe : describe.skip;

const ROOT = join(__dirname, '..', '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
};
const lockPaths = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
/** What `npm ci --omit=dev` must leave out, and what it must install. */
const devOnly = lockPaths.filter(([, p]) => p.dev).map(([path]) => path);
const production = lockPaths.filter(([, p]) => !p.dev && !p.optional && !p.devOptional).map(([path]) => path);

/** Every file under `dir` (symbolic links not followed), relative to `base`. */
function filesUnder(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path, base) : [relative(base, path)];
  });
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const SECRET_NAMES =
  /(^|\/)(\.env(\..*)?|.*\.(pem|key|p12|pfx|crt)|id_(rsa|ed25519|ecdsa)|\.npmrc|callers\.json|encryption-keys|proof-client-secret)$/;

describeImages.each([
  ['broker', BROKER_IMAGE, 'broker'],
  ['emulator', EMULATOR_IMAGE, 'proof-emulator'],
])('the %s image content', (label, image, project) => {
  const main = `dist/apps/${project}/src/main.js`;
  let container: ImageContainer;
  let app: string[];

  beforeAll(async () => {
    console.log((await buildImages()).output.trim());
    container = mountImage(image, `${label}-content`);
    app = filesUnder(join(container.root, 'app'));
    const mb = (path: string) => `${(containerBytes(container, path) / 1e6).toFixed(1)} MB`;
    console.log(
      `${image}: ${mb('/')} in all, /app ${mb('/app')}, /app/node_modules ${mb('/app/node_modules')}` +
        ` (typescript ${mb('/app/node_modules/typescript')}), /app/dist ${mb('/app/dist')}`,
    );
  }, 30 * 60_000);
  afterAll(() => container?.remove());

  it('starts what its CMD names, from /app', () => {
    expect(container.config.workdir).toBe('/app');
    expect(container.config.cmd).toContain(main);
    expect(app).toContain(main);
  });

  it('holds every production package of the lock file and no dev-only one', () => {
    const present = (path: string) => existsSync(join(container.root, 'app', path));
    expect(devOnly.length).toBeGreaterThan(50);
    expect(devOnly.filter(present)).toEqual([]);
    expect(production.filter((path) => !present(path))).toEqual([]);
  });

  it('holds no tests, no TypeScript sources, no other app, nothing but its app, the shared library and package.json', () => {
    const own = app.filter((path) => !path.startsWith('node_modules/'));
    const allowed = [`dist/apps/${project}/`, 'dist/libs/'];
    expect(own.filter((path) => !allowed.some((dir) => path.startsWith(dir)) && path !== 'package.json')).toEqual([]);
    expect(own.filter((path) => /\.spec\.|e2e-spec|(^|\/)test\/|\.ts$/.test(path) && !path.endsWith('.d.ts'))).toEqual(
      [],
    );
  });

  it('holds nothing secret: no key, certificate, .env or npmrc file, not the build CA bundle', () => {
    // /proc and /dev are the host's, mounted for running; node_modules was checked against the lock file.
    const everywhere = readdirSync(container.root)
      .filter((top) => !['proc', 'dev', 'sys'].includes(top))
      .flatMap((top) => filesUnder(join(container.root, top), container.root))
      .filter((path) => !path.startsWith('app/node_modules/'));
    expect(everywhere.filter((path) => SECRET_NAMES.test(path) && !path.startsWith('usr/share/'))).toEqual([]);
    expect(existsSync(join(container.root, 'usr/local/etc/npmrc'))).toBe(false);
    expect(existsSync(join(container.root, 'run/build-ca'))).toBe(false);
    const ca = process.env.NODE_EXTRA_CA_CERTS;
    if (ca && existsSync(ca)) {
      const caHash = sha256(ca);
      const sameSize = everywhere.filter((path) => {
        const stat = lstatSync(join(container.root, path));
        return stat.isFile() && stat.size === statSync(ca).size;
      });
      expect(sameSize.filter((path) => sha256(join(container.root, path)) === caHash)).toEqual([]);
    }
  });
});
