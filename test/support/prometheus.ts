import { execFileSync } from 'node:child_process';
import { ManagedProcess, startManagedProcess } from '../../scripts/lib/managed-process';
import { waitUntil } from '../../scripts/lib/wait-until';
import { freePort } from './free-port';

/** Fails with the install command when Debian's Prometheus (prometheus, promtool) is missing. */
export function assertPrometheusInstalled(): void {
  for (const binary of ['prometheus', 'promtool']) {
    try {
      execFileSync(binary, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        `${binary} was not found on PATH. The alert rule and scrape tests run Prometheus: ` +
          '`apt-get install -y prometheus` (Debian/Ubuntu; it brings promtool).',
      );
    }
  }
}

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2']);
  return [...bare.matchAll(/(?<![\w$.])([a-zA-Z_:][\w:]*)(\s*\()?/g)]
    .filter(([, name, call]) => !call && !keywords.has(name))
    .map(([, name]) => name);
}

export interface PrometheusServer {
  readonly url: string;
  readonly process: ManagedProcess;
  /** GET /api/v1/<path>: the `data` of a successful answer. */
  api<T>(path: string): Promise<T>;
}

/** Prometheus on a free loopback port, keeping its data in `storageDir`; ready when resolved. */
export async function startPrometheus(configFile: string, storageDir: string): Promise<PrometheusServer> {
  assertPrometheusInstalled();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startManagedProcess(
    'prometheus',
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${storageDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { env: {} },
  );
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error}`);
    return body.data;
  };
  await waitUntil('Prometheus to be ready', async () => (await fetch(`${url}/-/ready`)).ok, {
    timeoutMs: 30_000,
    abort: () => (child.child.exitCode === null ? undefined : `prometheus exited:\n${child.output()}`),
  });
  return { url, process: child, api };
}
