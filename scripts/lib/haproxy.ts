import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { HaproxyConfigOptions, renderHaproxyConfig } from './haproxy-config';
import { ManagedProcess, startManagedProcess } from './managed-process';
import { waitUntil } from './wait-until';

/** One backend server as HAProxy sees it (`show stat`). */
export interface HaproxyServerState {
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), MAINT, ... */
  readonly status: string;
  /** Requests retried (wretr) and redispatched to another server (wredis). */
  readonly retries: number;
  readonly redispatches: number;
  /** Sessions sent to this server so far (stot). */
  readonly sessions: number;
}

export interface Haproxy {
  readonly url: string;
  readonly configPath: string;
  readonly process: ManagedProcess;
  /** Backend servers by name, read from the stats socket. */
  servers(): Promise<Map<string, HaproxyServerState>>;
  stop(): Promise<void>;
}

export function assertHaproxyInstalled(): void {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
  } catch {
    throw new Error('haproxy was not found on PATH: install it with `apt-get install -y haproxy` (Debian/Ubuntu)');
  }
}

/** Sends one command to the HAProxy stats socket and returns the whole answer. */
function askSocket(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('stats socket timeout')));
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Parses `show stat` CSV ("# pxname,svname,...") into server states. */
export function parseServerStats(csv: string): Map<string, HaproxyServerState> {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (row: string[], name: string) => row[columns.indexOf(name)] ?? '';
  const servers = new Map<string, HaproxyServerState>();
  for (const row of rows.map((r) => r.split(','))) {
    if (at(row, 'type') !== '2') continue; // 0 frontend, 1 backend, 2 server
    servers.set(at(row, 'svname'), {
      status: at(row, 'status'),
      retries: Number(at(row, 'wretr') || 0),
      redispatches: Number(at(row, 'wredis') || 0),
      sessions: Number(at(row, 'stot') || 0),
    });
  }
  return servers;
}

/** Writes the config into `dir`, checks it with `haproxy -c`, starts HAProxy in the foreground. */
export async function startHaproxy(
  dir: string,
  options: Omit<HaproxyConfigOptions, 'statsSocket'>,
  onLine?: (line: string) => void,
): Promise<Haproxy> {
  assertHaproxyInstalled();
  const configPath = join(dir, 'haproxy.cfg');
  const statsSocket = join(dir, 'haproxy.sock');
  writeFileSync(configPath, renderHaproxyConfig({ ...options, statsSocket }));
  execFileSync('haproxy', ['-c', '-q', '-f', configPath], { stdio: 'pipe' });
  // -db: stay in the foreground, so stopping this child stops HAProxy.
  const child = startManagedProcess('haproxy', 'haproxy', ['-db', '-f', configPath], { env: {}, onLine });
  const servers = async () => parseServerStats(await askSocket(statsSocket, 'show stat'));
  const exited = () => (child.child.exitCode !== null ? `haproxy exited:\n${child.output()}` : undefined);
  await waitUntil('the haproxy stats socket', async () => (await servers()).size > 0, { abort: exited });
  return {
    url: `http://127.0.0.1:${options.port}`,
    configPath,
    process: child,
    servers,
    stop: async () => void (await child.stop('SIGTERM')),
  };
}
