import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answers, waitUntil } from '../../scripts/lib/wait-until';
import { ManagedProcess, startProcess } from './child-process';
import { ComposeService, DOCKER_DIR } from './compose-file';

/**
 * The compose file's haproxy:2.8 and prom/prometheus images stood in by Debian's haproxy and
 * prometheus, with the compose configs and only what a shared host network forces changed:
 * loopback ports instead of the fixed ones, 127.0.0.1 instead of the service names (those
 * resolve through the host's DNS here, not Docker's).
 */

/** Replaces every `from` in `text`, and fails if one is missing: the config changed under the test. */
function substitute(text: string, file: string, pairs: readonly [string | RegExp, string][]): string {
  return pairs.reduce((out, [from, to]) => {
    if (!(typeof from === 'string' ? out.includes(from) : from.test(out)))
      throw new Error(`${file} has no ${String(from)}`);
    return typeof from === 'string' ? out.split(from).join(to) : out.replace(from, to);
  }, text);
}

export interface HostServicePorts {
  readonly front: number;
  readonly stats: number;
  readonly brokers: Record<string, number>;
}

export function startComposeHaproxy(dir: string, ports: HostServicePorts): Promise<ManagedProcess> {
  const config = substitute(readFileSync(join(DOCKER_DIR, 'haproxy.cfg'), 'utf8'), 'haproxy.cfg', [
    ['bind *:8080', `bind 127.0.0.1:${ports.front}`],
    ['bind *:8404', `bind 127.0.0.1:${ports.stats}`],
    ...Object.entries(ports.brokers).map(
      ([name, port]) => [`server ${name} ${name}:3000`, `server ${name} 127.0.0.1:${port}`] as [string, string],
    ),
  ]);
  const path = join(dir, 'haproxy.cfg');
  writeFileSync(path, config);
  execFileSync('haproxy', ['-c', '-q', '-f', path], { stdio: 'pipe' });
  return startUntil(
    startProcess('haproxy', ['-db', '-f', path], { env: {} }),
    `http://127.0.0.1:${ports.stats}/metrics`,
  );
}

export function startComposePrometheus(
  dir: string,
  service: ComposeService,
  port: number,
  ports: HostServicePorts,
): Promise<ManagedProcess> {
  const config = substitute(readFileSync(join(DOCKER_DIR, 'prometheus.yml'), 'utf8'), 'prometheus.yml', [
    ['"haproxy:8404"', `"127.0.0.1:${ports.stats}"`],
    ...Object.entries(ports.brokers).map(
      ([name, broker]) => [`"${name}:3000"`, `"127.0.0.1:${broker}"`] as [string, string],
    ),
  ]);
  const path = join(dir, 'prometheus.yml');
  writeFileSync(path, config);
  // The other files the compose file mounts beside the config (the alerting rules), at the same relative paths.
  for (const [source, target] of (service.volumes ?? []).map((v) => v.split(':'))) {
    if (target !== '/etc/prometheus/prometheus.yml' && target.startsWith('/etc/prometheus/')) {
      copyFileSync(join(DOCKER_DIR, source), join(dir, target.slice('/etc/prometheus/'.length)));
    }
  }
  // The compose command's flags, the config path swapped for this copy, plus where to keep data and listen.
  const args = (service.command ?? []).map((arg) => (arg.startsWith('--config.file=') ? `--config.file=${path}` : arg));
  const child = startProcess(
    'prometheus',
    [...args, `--storage.tsdb.path=${join(dir, 'prometheus-data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { env: {} },
  );
  return startUntil(child, `http://127.0.0.1:${port}/-/ready`);
}

async function startUntil(child: ManagedProcess, url: string): Promise<ManagedProcess> {
  try {
    await waitUntil(url, () => answers(url), {
      timeoutMs: 30_000,
      abort: () => (child.child.exitCode !== null ? `exited with ${child.child.exitCode}` : undefined),
    });
    return child;
  } catch (error) {
    await child.stop('SIGKILL');
    throw new Error(`${child.name} did not start: ${(error as Error).message}\n${child.output().slice(-2_000)}`);
  }
}

/** One instant PromQL query against Prometheus's HTTP API. */
export async function promQuery(
  port: number,
  query: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`;
  const body = (await (await fetch(url, { signal: AbortSignal.timeout(2_000) })).json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}
