import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileWatcher } from './config-file-watcher';

/** Real files, real polling (1 s): each case waits for the first stat, changes the file, waits for the call. */
describe('ConfigFileWatcher', () => {
  const watcher = new ConfigFileWatcher();
  let stop: () => void = () => undefined;
  afterEach(() => stop());

  async function changes(path: string, change: () => void): Promise<number> {
    let calls = 0;
    stop = watcher.watch([path, path], () => calls++);
    await sleep(1_200);
    change();
    const deadline = Date.now() + 5_000;
    while (calls === 0 && Date.now() < deadline) await sleep(50);
    await sleep(1_200);
    return calls;
  }

  it('sees a file rewritten in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    writeFileSync(join(dir, 'callers.json'), '[]');
    // Truncate, then write: a poll could land in between and see two changes (the reloader settles them).
    expect(
      await changes(join(dir, 'callers.json'), () => writeFileSync(join(dir, 'callers.json'), '[{}]')),
    ).toBeGreaterThanOrEqual(1);
  }, 15_000);

  it('sees a new file renamed over the old one (editors, atomic writers)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    writeFileSync(join(dir, 'secret'), 'one');
    const calls = await changes(join(dir, 'secret'), () => {
      writeFileSync(join(dir, '.secret.tmp'), 'two');
      renameSync(join(dir, '.secret.tmp'), join(dir, 'secret'));
    });
    expect(calls).toBe(1);
  }, 15_000);

  it('sees a Kubernetes secret update: the ..data symlink swapped to a new directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    for (const version of ['..v1', '..v2']) {
      mkdirSync(join(dir, version));
      writeFileSync(join(dir, version, 'secret'), version === '..v1' ? 'one' : 'two');
    }
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/secret', join(dir, 'secret'));
    const calls = await changes(join(dir, 'secret'), () => {
      symlinkSync('..v2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    });
    expect(calls).toBe(1);
  }, 15_000);
});
