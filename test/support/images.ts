import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'docker', 'images.sh');
export const IMAGE_TAG = 'test';
export const BROKER_IMAGE = `localhost/proof-token-broker:${IMAGE_TAG}`;
export const EMULATOR_IMAGE = `localhost/proof-emulator:${IMAGE_TAG}`;

/** Whether this machine can build images: buildah and mmdebstrap (`.ci/run` installs both). */
export function canBuildImages(): boolean {
  try {
    execFileSync('buildah', ['--version'], { stdio: 'ignore' });
    execFileSync('mmdebstrap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface BuiltImage {
  readonly name: string;
  readonly seconds: number;
  /** As buildah prints it ("350 MB"). */
  readonly size: string;
}

/**
 * Runs docker/images.sh: the stand-in base (cached in buildah's storage), then both images,
 * kept when their inputs did not change since they were last built (the script serializes
 * parallel calls). Resolves with one entry per image.
 */
export function buildImages(): Promise<{ images: BuiltImage[]; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      SCRIPT,
      ['build'],
      { env: { ...process.env, IMAGE_TAG }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error) return reject(new Error(`docker/images.sh failed: ${error.message}\n${output.slice(-4_000)}`));
        const built = [...stdout.matchAll(/^built (\S+) in (\d+) s, (.+)$/gm)].map(([, name, s, size]) => ({
          name,
          seconds: Number(s),
          size,
        }));
        // An image whose inputs did not change since its last build is kept: 0 s here.
        const kept = [...stdout.matchAll(/^kept (\S+) \(inputs unchanged\), (.+)$/gm)].map(([, name, size]) => ({
          name,
          seconds: 0,
          size,
        }));
        const images = [...built, ...kept];
        resolve({ images, output: stdout });
      },
    );
  });
}
