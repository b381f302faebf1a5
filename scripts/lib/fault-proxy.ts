import { createServer, Socket, connect } from 'node:net';

/**
 * What the proxy does to traffic. `blackhole` models a network partition: connections are
 * accepted and kept, nothing is forwarded or answered, and what was sent is delivered once
 * the mode changes back (TCP retransmits across a short partition; it does not lose bytes
 * from the middle of a stream). `reset` answers every connection, old and new, with an RST.
 */
export type FaultMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'reset' }
  /**
   * Passes traffic, except that a chunk from the client containing any of `contains` is not
   * delivered: its connection is reset instead, for the first `times` such chunks after the
   * mode was set (e.g. exactly one Redis command, and the client's resend of it).
   */
  | { readonly kind: 'cut'; readonly contains: readonly string[]; readonly times: number };

export interface FaultProxyStats {
  /** Connections accepted so far. */
  readonly connections: number;
  readonly open: number;
  /** Bytes delivered to the target, and back to the clients. */
  readonly bytesToTarget: number;
  readonly bytesToClient: number;
  /** Connections reset by a `cut` mode so far. */
  readonly cuts: number;
  /** Chunks from clients that contained a text of `watch`, forwarded or held (say, a command in a blackhole). */
  readonly watched: number;
}

export interface FaultProxy {
  readonly port: number;
  readonly mode: FaultMode;
  setMode(mode: FaultMode): void;
  stats(): FaultProxyStats;
  /** Counts (stats().watched) the chunks from clients that contain any of `texts`, from now on. */
  watch(texts: readonly string[]): void;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** RST where Node can send one (resetAndDestroy, Node >= 16.17), else a plain close. */
function reset(socket: Socket): void {
  try {
    if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
    else socket.destroy();
  } catch {
    socket.destroy();
  }
}

/** One direction of one connection: chunks in arrival order, released as the mode allows. */
class Pipe {
  private readonly queue: { chunk: Buffer; arrivedAt: number }[] = [];
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly destination: () => Socket | undefined,
    private readonly mode: () => FaultMode,
    private readonly delivered: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    this.queue.push({ chunk, arrivedAt: Date.now() });
    this.pump();
  }

  end(): void {
    this.ended = true;
    this.pump();
  }

  /** Delivers what the current mode lets through, in order; called again on every mode change. */
  pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const out = this.destination();
    if (!out || out.connecting || out.destroyed) return;
    const mode = this.mode();
    while (this.queue.length > 0) {
      if (mode.kind === 'blackhole' || mode.kind === 'reset') return;
      const head = this.queue[0];
      const wait = mode.kind === 'latency' ? head.arrivedAt + mode.ms - Date.now() : 0;
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      out.write(head.chunk);
      this.delivered(head.chunk.length);
    }
    if (this.ended) out.end();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

/**
 * A TCP proxy on a free loopback port in front of `127.0.0.1:targetPort`, whose behaviour
 * can be switched at run time. For tests and the soak: no backpressure (their traffic is small).
 */
export async function startFaultProxy(targetPort: number, initial: FaultMode = { kind: 'pass' }): Promise<FaultProxy> {
  let mode: FaultMode = initial;
  /** Connections reset by the current `cut` mode. */
  let cuts = 0;
  let closed = false;
  const links = new Set<{ client: Socket; upstream?: Socket; pipes: Pipe[]; open: () => void }>();
  const counters = { connections: 0, bytesToTarget: 0, bytesToClient: 0, cuts: 0, watched: 0 };
  let watching: readonly string[] = [];

  const drop = (link: { client: Socket; upstream?: Socket; pipes: Pipe[] }, rst: boolean) => {
    link.pipes.forEach((p) => p.stop());
    for (const socket of [link.client, link.upstream]) {
      if (socket) (rst ? reset : (s: Socket) => s.destroy())(socket);
    }
  };

  const server = createServer({ allowHalfOpen: true }, (client) => {
    counters.connections += 1;
    if (mode.kind === 'reset' || closed) return reset(client);
    const link = {
      client,
      upstream: undefined as Socket | undefined,
      pipes: [] as Pipe[],
      // The upstream connection is opened on the first mode that is not a blackhole, so a
      // blackholed proxy also answers nothing to a new connection (no refusal, no data).
      open: () => {
        if (link.upstream || mode.kind === 'blackhole' || mode.kind === 'reset') return;
        const upstream = connect({ port: targetPort, host: HOST, allowHalfOpen: true });
        link.upstream = upstream;
        upstream.on('connect', () => up.pump());
        upstream.on('data', (chunk: Buffer) => down.push(chunk));
        upstream.on('end', () => down.end());
        upstream.on('error', () => undefined);
        // A clean close (FIN) reaches the client through `end` once queued bytes are out; a
        // refused or reset connection resets the client too, as a real hop would.
        upstream.on('close', (hadError) => {
          if (!hadError) return;
          links.delete(link);
          drop(link, true);
        });
      },
    };
    const up = new Pipe(
      () => link.upstream,
      () => mode,
      (n) => (counters.bytesToTarget += n),
    );
    const down = new Pipe(
      () => client,
      () => mode,
      (n) => (counters.bytesToClient += n),
    );
    link.pipes = [up, down];
    links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (watching.some((text) => chunk.includes(text))) counters.watched += 1;
      if (mode.kind === 'cut' && cuts < mode.times && mode.contains.some((text) => chunk.includes(text))) {
        cuts += 1;
        counters.cuts += 1;
        links.delete(link);
        return drop(link, true);
      }
      up.push(chunk);
    });
    client.on('end', () => up.end());
    client.on('error', () => undefined);
    client.on('close', () => {
      links.delete(link);
      drop(link, false);
    });
    link.open();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    get mode() {
      return mode;
    },
    setMode(next: FaultMode) {
      mode = next;
      cuts = 0;
      for (const link of [...links]) {
        if (mode.kind === 'reset') {
          links.delete(link);
          drop(link, true);
        } else {
          link.open();
          link.pipes.forEach((p) => p.pump());
        }
      }
    },
    stats: () => ({ ...counters, open: links.size }),
    watch(texts) {
      watching = texts;
    },
    async close() {
      closed = true;
      for (const link of [...links]) drop(link, false);
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
