import pino from 'pino';

/** sonic-boom's own state (v4): whether an asynchronous write is in flight, bytes not yet written. */
type SonicState = { _writing?: boolean; _len?: number; destroyed?: boolean };

/**
 * Below this many bytes queued, sonic-boom waits for `flush()` instead of writing: with its
 * default (0) the first line after each write goes out alone, one fs.write on libuv's pool a
 * line when requests come one per event-loop turn (bench/pino-line.ts measures it).
 */
const BATCH_BYTES = 4096;

/**
 * Where every log line goes: stdout through pino's asynchronous destination (sonic-boom). A
 * line is queued in memory and written by libuv's thread pool; the lines of one event-loop turn
 * leave together (a flush per turn, or sooner past BATCH_BYTES), so a slow reader (a stalled pipe, a slow collector) never blocks a request: lines wait in
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
    const stream = pino.destination({ dest, sync: false, maxLength: maxBufferedBytes, minLength: BATCH_BYTES });
    this.stream = stream;
    stream.on('drop', (data: string | Buffer) => {
      this.dropped += countLines(data);
    });
    // Every line queued schedules the turn's flush (the line is in sonic-boom's buffer at once:
    // its exit hook's flushSync and maxLength see it). A flush that finds a write in flight
    // does nothing; sonic-boom then continues past BATCH_BYTES, or says 'drain' with less left.
    const state = stream as unknown as SonicState;
    let scheduled = false;
    const flushTurn = () => {
      scheduled = false;
      if (!state.destroyed && state._len) stream.flush();
    };
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(flushTurn);
    };
    const write = stream.write.bind(stream);
    stream.write = (data: string) => {
      const below = write(data);
      schedule();
      return below;
    };
    stream.on('drain', () => {
      if (state._len) schedule();
    });
  }

  /** Resolves once all queued lines are written, or after `timeoutMs` (a reader that never reads). */
  drained(timeoutMs: number): Promise<void> {
    const state = this.stream as unknown as SonicState;
    if (!state._writing && !state._len) return Promise.resolve();
    if (!state._writing) this.stream.flush();
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
