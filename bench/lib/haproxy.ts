// HAProxy in front of N broker replicas, configured as docker/haproxy.cfg, on a free loopback port.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, Proc, start, waitFor200 } from './processes';

export function requireHaproxy(): void {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
  } catch {
    throw new Error('haproxy was not found on PATH: install it with `apt-get install -y haproxy`');
  }
}

// One thread: on a small machine the replicas and the load generator need the other cores.
const config = (port: number, replicas: { name: string; port: number }[]): string => `global
  maxconn 4096
  nbthread 1

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option redispatch
  retries 2

frontend broker
  bind 127.0.0.1:${port}
  default_backend replicas

backend replicas
  balance roundrobin
  option httpchk
  http-check send meth GET uri /health/ready
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
${replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check`).join('\n')}
`;

/** Writes haproxy.cfg into `dir`, runs `haproxy -db -f` as a child and waits until it proxies GET `probe`. */
export async function startHaproxy(
  dir: string,
  replicas: { name: string; port: number }[],
  probe: string,
  headers: Record<string, string>,
): Promise<{ url: string; proc: Proc }> {
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, config(port, replicas));
  const proc = start('haproxy', 'haproxy', ['-db', '-f', cfg]);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < replicas.length * 2; i++) await waitFor200(proc, `${url}${probe}`, { headers });
  return { url, proc };
}
