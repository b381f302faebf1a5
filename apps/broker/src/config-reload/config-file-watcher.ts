import { Injectable } from '@nestjs/common';
import { Stats, unwatchFile, watchFile } from 'node:fs';

/** How often each watched file is stat()ed. */
const POLL_INTERVAL_MS = 1_000;

/**
 * Notices changes to the configuration files by polling stat(), not inotify (fs.watch):
 * Kubernetes updates a mounted secret by swapping a `..data` symlink in its directory and
 * editors save by renaming a new file over the old one. fs.watch on the file keeps watching
 * the old inode and misses both; stat() follows the path, so the new inode, size or mtime
 * shows. It also works on bind mounts and network file systems where inotify stays silent,
 * and a missing file simply polls until it appears. The cost is one stat per file per second.
 */
@Injectable()
export class ConfigFileWatcher {
  /** Calls `onChange` when any of `paths` changes; returns the function that stops watching. */
  watch(paths: readonly string[], onChange: () => void): () => void {
    const listener = (current: Stats, previous: Stats) => {
      // Called on every stat difference, access time included: only content changes matter.
      const changed =
        current.ino !== previous.ino ||
        current.size !== previous.size ||
        current.mtimeMs !== previous.mtimeMs ||
        current.ctimeMs !== previous.ctimeMs;
      if (changed) onChange();
    };
    const unique = [...new Set(paths)];
    // persistent: false, so a watcher never keeps a stopping process alive.
    for (const path of unique) watchFile(path, { interval: POLL_INTERVAL_MS, persistent: false }, listener);
    return () => unique.forEach((path) => unwatchFile(path, listener));
  }
}
