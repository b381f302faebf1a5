import { connect, createServer, Server, Socket } from 'node:net';
import { FaultProxy, startFaultProxy } from './fault-proxy';
import { sleep } from './wait';

/** A client that collects what comes back and how the connection ended. */
function client(port: number) {
  const socket = connect({ port, host: '127.0.0.1' });
  let received = '';
  let ended: 'open' | 'end' | 'error' = 'open';
  let errorCode: string | undefined;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('end', () => (ended = 'end'));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    ended = 'error';
    errorCode = error.code;
  });
  return {
    socket,
    received: () => received,
    ended: () => ended,
    errorCode: () => errorCode,
    connected: new Promise<void>((resolve) => socket.once('connect', () => resolve())),
  };
}

async function until(probe: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('startFaultProxy', () => {
  let echo: Server;
  let echoPort: number;
  let proxy: FaultProxy;
  const serverSockets = new Set<Socket>();

  beforeAll(async () => {
    echo = createServer((socket) => {
      serverSockets.add(socket);
      socket.on('close', () => serverSockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => socket.write(`echo:${chunk.toString()}`));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    echoPort = (echo.address() as { port: number }).port;
  });
  beforeEach(async () => {
    proxy = await startFaultProxy(echoPort);
  });
  afterEach(() => proxy.close());
  afterAll(async () => {
    serverSockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('passes bytes both ways and counts them', async () => {
    const c = client(proxy.port);
    c.socket.write('hi');
    await until(() => c.received() === 'echo:hi');
    expect(proxy.stats()).toMatchObject({ connections: 1, open: 1, bytesToTarget: 2, bytesToClient: 7 });
    c.socket.destroy();
  });

  it('delays each chunk both ways in latency mode', async () => {
    proxy.setMode({ kind: 'latency', ms: 150 });
    const c = client(proxy.port);
    await c.connected;
    const started = Date.now();
    c.socket.write('slow');
    await until(() => c.received() === 'echo:slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    c.socket.destroy();
  });

  it('holds traffic in blackhole mode, old and new connections, and delivers it in order on heal', async () => {
    const old = client(proxy.port);
    await old.connected;
    proxy.setMode({ kind: 'blackhole' });
    old.socket.write('a');
    old.socket.write('b');
    const fresh = client(proxy.port);
    await fresh.connected;
    fresh.socket.write('c');
    await sleep(200);
    expect([old.received(), fresh.received(), old.ended(), fresh.ended()]).toEqual(['', '', 'open', 'open']);
    proxy.setMode({ kind: 'pass' });
    await until(() => old.received().replace(/echo:/g, '') === 'ab' && fresh.received() === 'echo:c');
    old.socket.destroy();
    fresh.socket.destroy();
  });

  it('resets existing and new connections in reset mode, then passes again', async () => {
    const old = client(proxy.port);
    await old.connected;
    proxy.setMode({ kind: 'reset' });
    await until(() => old.ended() !== 'open');
    expect(old.errorCode()).toBe('ECONNRESET');
    const fresh = client(proxy.port);
    await until(() => fresh.ended() !== 'open');
    expect(fresh.received()).toBe('');
    proxy.setMode({ kind: 'pass' });
    const again = client(proxy.port);
    again.socket.write('x');
    await until(() => again.received() === 'echo:x');
    again.socket.destroy();
  });

  it('counts the chunks that contain a watched text, also those a blackhole holds', async () => {
    proxy.watch(['WRITE']);
    proxy.setMode({ kind: 'blackhole' });
    const held = client(proxy.port);
    held.socket.write('READ');
    held.socket.write('a WRITE command');
    await until(() => proxy.stats().watched === 1);
    expect(held.received()).toBe('');
    proxy.setMode({ kind: 'pass' });
    await until(() => held.received().includes('WRITE'));
    expect(proxy.stats().watched).toBe(1);
    held.socket.destroy();
  });

  it('in cut mode resets the connection of a matching chunk, undelivered, the given number of times', async () => {
    proxy.setMode({ kind: 'cut', contains: ['WRITE'], times: 2 });
    const plain = client(proxy.port);
    plain.socket.write('READ');
    await until(() => plain.received() === 'echo:READ');
    for (let i = 0; i < 2; i++) {
      const cut = client(proxy.port);
      cut.socket.write('a WRITE command');
      await until(() => cut.ended() !== 'open');
      expect([cut.errorCode(), cut.received()]).toEqual(['ECONNRESET', '']);
    }
    const third = client(proxy.port);
    third.socket.write('a WRITE command');
    await until(() => third.received() === 'echo:a WRITE command');
    expect(plain.ended()).toBe('open');
    expect(proxy.stats()).toMatchObject({ cuts: 2, bytesToTarget: 'READ'.length + 'a WRITE command'.length });
    plain.socket.destroy();
    third.socket.destroy();
  });

  it('closes the client when the target is gone, and every socket on close()', async () => {
    const c = client(proxy.port);
    await c.connected;
    c.socket.write('x');
    await until(() => c.received() === 'echo:x');
    serverSockets.forEach((s) => s.end());
    await until(() => c.ended() !== 'open');
    const other = client(proxy.port);
    await other.connected;
    await proxy.close();
    await until(() => other.ended() !== 'open' || other.socket.destroyed);
    proxy = await startFaultProxy(echoPort);
  });
});
