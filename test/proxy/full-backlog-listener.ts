import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';

/** Listens with an accept queue of one and never accepts: its event loop is blocked for good. */
const NEVER_ACCEPTS = `
const server = require('node:net').createServer();
server.listen({ port: Number(process.env.PORT), host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write('listening\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`;

export interface FullBacklogListener {
  /** Connections the kernel completed into the full queue (the ones that filled it). */
  readonly queued: number;
  close(): void;
}

/** Resolves with the socket once connected, or with undefined (socket destroyed) after `ms`. */
function connectWithin(port: number, ms: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => resolve(void socket.destroy()), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

/**
 * A loopback port where a TCP connection is never established: a listener whose accept
 * queue is full and never drained. Linux then drops new SYNs (tcp_conn_request, a listen
 * overflow), so a client's connect waits until its own timeout, as with a host that does not
 * answer; unlike a blackhole address, this needs neither routing nor root. The queue is
 * filled until a connection attempt gets nowhere in `probeMs`, which proves the state.
 */
export async function startFullBacklogListener(port: number, probeMs = 300): Promise<FullBacklogListener> {
  const child = spawn(process.execPath, ['-e', NEVER_ACCEPTS], {
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the listener exited (${code}) before listening on ${port}`)));
  });
  const sockets: Socket[] = [];
  const close = () => {
    sockets.forEach((s) => s.destroy());
    child.kill('SIGKILL');
  };
  for (;;) {
    const socket = await connectWithin(port, probeMs);
    if (!socket) return { queued: sockets.length, close };
    sockets.push(socket);
    if (sockets.length > 64) {
      close();
      throw new Error(`port ${port}: connections still complete after ${sockets.length}: the queue never fills here`);
    }
  }
}
