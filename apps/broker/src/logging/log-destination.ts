import pino from 'pino';

/** sonic-boom's own state (v4): whether an asynchronous write is in flight, bytes not yet written. */
type SonicState = { _writing?: boolean; _len?: number };

/**
 * Where every log line goes: stdout through pino's asynchronous destination (sonic-boom). A
 * line is queued in memory and written by libuv's thread pool, many lines per write under load,
 * so a slow reader (a stalled pipe, a slow collector) never blocks a request: lines wait in
 * memory, up to MAX_BUFFERED_BYTES, past which sonic-boom drops them (`dropped` counts them).
 * On the shutdown path `drained()` waits until everything queued has been written.
 */
export class LogDestination {
  static readonly MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
  readonly stream: ReturnType<typeof pino.destination>;
  /** Lines dropped since the start because the buffer was full (`broker_log_lines_dropped_total`). */
  dropped = 0;

  /** `dest`: a file descriptor or path (stdout in production); `maxBufferedBytes`: the bound above. */
  constructor(dest: number | string = 1, maxBufferedBytes = LogDestination.MAX_BUFFERED_BYTES) {
    this.stream = pino.destination({ dest, sync: false, maxLength: maxBufferedBytes });
    this.stream.on('drop', (data: string | Buffer) => {
      this.dropped += countLines(data);
    });
  }

  /** Resolves once all queued lines are written, or after `timeoutMs` (a reader that never reads). */
  drained(timeoutMs: number): Promise<void> {
    const state = this.stream as unknown as SonicState;
    if (!state._writing && !state._len) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const stream = this.stream;
      function done() {
        clearTimeout(timer);
        stream.off('drain', check);
        resolve();
      }
      function check() {
        if (!state._writing && !state._len) done();
      }
      stream.on('drain', check);
    });
  }
}

function countLines(data: string | Buffer): number {
  let lines = 0;
  for (let at = data.indexOf('\n'); at >= 0; at = data.indexOf('\n', at + 1)) lines++;
  return lines;
}
