import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a runtime takes from an image's configuration to start it (Docker format). */
export interface ImageConfig {
  readonly env: Record<string, string>;
  readonly workdir: string;
  readonly user: string;
  readonly cmd: readonly string[];
  readonly entrypoint: readonly string[];
  /** HEALTHCHECK as Docker stores it: ["CMD-SHELL", "..."] or ["CMD", ...]. */
  readonly healthcheck: readonly string[] | undefined;
  readonly exposedPorts: readonly string[];
}

/** A buildah working container of an image, its root file system mounted on the host. */
export interface ImageContainer {
  readonly name: string;
  readonly image: string;
  readonly root: string;
  readonly config: ImageConfig;
  /** uid and gid of the image's USER, read from the image's own /etc/passwd. */
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** Writes a file into the container's layer (like a volume, but a copy). */
  writeFile(path: string, content: string, mode?: number): void;
  /** Unmounts everything mounted under the root, unmounts and removes the container. */
  remove(): void;
}

const buildah = (...args: string[]): string =>
  execFileSync('buildah', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

interface DockerInspect {
  Docker: {
    config: {
      Env?: string[];
      WorkingDir?: string;
      User?: string;
      Cmd?: string[];
      Entrypoint?: string[];
      Healthcheck?: { Test?: string[] };
      ExposedPorts?: Record<string, unknown>;
    };
  };
}

export function imageConfig(image: string): ImageConfig {
  const { config } = (JSON.parse(buildah('inspect', '--type', 'image', image)) as DockerInspect).Docker;
  const env = Object.fromEntries(
    (config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  return {
    env,
    workdir: config.WorkingDir || '/',
    user: config.User || 'root',
    cmd: config.Cmd ?? [],
    entrypoint: config.Entrypoint ?? [],
    healthcheck: config.Healthcheck?.Test,
    exposedPorts: Object.keys(config.ExposedPorts ?? {}),
  };
}

/** Resolves USER ("name", "uid", "name:group") against the image's /etc/passwd. */
function resolveUser(root: string, user: string): { uid: number; gid: number; home: string } {
  const [name] = user.split(':');
  const entry = readFileSync(join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === name || fields[2] === name);
  if (!entry) throw new Error(`USER ${user} is not in the image's /etc/passwd`);
  return { uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5] };
}

/** `buildah from` + `buildah mount`: the file system a runtime would start the image in. */
export function mountImage(image: string, label: string): ImageContainer {
  // The prefix lets `docker/images.sh clean` find what a killed test run left behind.
  const name = `proof-ship-${label}-${randomBytes(4).toString('hex')}`;
  buildah('from', '--pull=never', '--name', name, image);
  const root = buildah('mount', name);
  const config = imageConfig(image);
  const mounts: string[] = [];
  const mountOver = (source: string, target: string) => {
    execFileSync('mount', ['--bind', source, join(root, target)]);
    mounts.push(join(root, target));
  };
  try {
    // What a runtime provides: /proc and the device nodes (/dev/null, /dev/urandom).
    mountOver('/proc', 'proc');
    mountOver('/dev', 'dev');
  } catch (error) {
    buildah('rm', name);
    throw error;
  }
  return {
    name,
    image,
    root,
    config,
    ...resolveUser(root, config.user),
    writeFile(path, content, mode = 0o644) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content, { mode });
    },
    remove() {
      for (const target of mounts.splice(0).reverse()) execFileSync('umount', ['--lazy', target]);
      buildah('rm', name);
    },
  };
}

/** Bytes of the files under `path` in the container (`du -sbx`: the /proc and /dev mounts left out). */
export function containerBytes(container: ImageContainer, path = '/'): number {
  const out = execFileSync('du', ['-sbx', '.'], {
    cwd: join(container.root, path),
    encoding: 'utf8',
  });
  return Number(out.split('\t')[0]);
}
