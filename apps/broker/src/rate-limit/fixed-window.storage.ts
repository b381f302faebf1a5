interface Window {
  endsAt: number;
  hits: number;
}

/** Beyond this many live keys (callers + addresses) the oldest window is dropped. */
const MAX_KEYS = 10_000;

/**
 * Fixed-window hit counters in one Map, synchronous (GET /token counts without a promise).
 * No timer at all: @nestjs/throttler's storage keeps an array of hit expirations per key and
 * filters it on every hit, which is O(limit) per request at the limits this broker needs.
 * A key's window starts at its first hit; a new window moves the key to the end of the Map,
 * so the Map stays ordered by window start and expired windows are swept from its front.
 */
export class FixedWindowStorage {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly now: () => number = Date.now,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /** Counts a hit for `key`: 0 when allowed, else the ms until its window ends (the hit is not counted). */
  consume(key: string, limit: number, windowMs: number): number {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || now >= window.endsAt) window = this.open(key, window, now + windowMs, now);
    if (window.hits >= limit) return window.endsAt - now;
    window.hits++;
    return 0;
  }

  /** The ms until `key` may try again without counting a hit: 0 unless it has `limit` hits in its live window. */
  blockedFor(key: string, limit: number): number {
    const window = this.windows.get(key);
    if (window === undefined) return 0;
    const left = window.endsAt - this.now();
    return left > 0 && window.hits >= limit ? left : 0;
  }

  get size(): number {
    return this.windows.size;
  }

  private open(key: string, window: Window | undefined, endsAt: number, now: number): Window {
    if (window === undefined) {
      this.sweep(now);
      window = { endsAt, hits: 0 };
    } else {
      this.windows.delete(key);
      window.endsAt = endsAt;
      window.hits = 0;
    }
    this.windows.set(key, window);
    return window;
  }

  /** Drops expired windows from the front, and the oldest live one when full (a flood of new addresses). */
  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt > now && this.windows.size < this.maxKeys) return;
      this.windows.delete(key);
    }
  }
}
