import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { ManagedProcess, startManagedProcess } from './managed-process';
import { waitUntil } from './wait-until';

/** One PING over a raw connection: no client library needed to know the server is up. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      resolve(chunk.toString().startsWith('+PONG'));
      socket.end();
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/** A private redis-server on loopback `port`, persistence off (working files in `dir`). */
export async function startRedisProcess(
  port: number,
  dir: string,
  onLine?: (line: string) => void,
): Promise<ManagedProcess> {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server was not found on PATH: install it with `apt-get install -y redis-server`');
  }
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--loglevel',
    'warning',
  ];
  const redis = startManagedProcess('redis', 'redis-server', args, { env: {}, onLine });
  const exited = () => (redis.child.exitCode !== null ? `redis-server exited:\n${redis.output()}` : undefined);
  await waitUntil(`redis-server on port ${port}`, () => ping(port), { abort: exited });
  return redis;
}
