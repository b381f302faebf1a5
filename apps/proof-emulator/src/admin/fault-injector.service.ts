import { Injectable } from '@nestjs/common';

export const FAULT_MODES = ['500', '503', '429', 'latency', 'drop'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** What one faulted token request gets. */
export interface Fault {
  readonly mode: FaultMode;
  /** Retry-After of 503 and 429. */
  readonly retryAfterSeconds: number;
  /** Delay of `latency`, after which the request is served normally. */
  readonly latencyMs: number;
}

export interface QueuedFault extends Fault {
  /** Token requests this fault still applies to. */
  readonly remaining: number;
}

/** A FIFO of faults for the next token requests: each POST consumes one unit. */
@Injectable()
export class FaultInjectorService {
  private queue: QueuedFault[] = [];

  enqueue(fault: Fault, count: number): void {
    this.queue.push({ ...fault, remaining: count });
  }

  /** The fault for the current token request, if one is queued. */
  take(): Fault | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    if (head.remaining <= 1) this.queue.shift();
    else this.queue[0] = { ...head, remaining: head.remaining - 1 };
    return { mode: head.mode, retryAfterSeconds: head.retryAfterSeconds, latencyMs: head.latencyMs };
  }

  pending(): QueuedFault[] {
    return [...this.queue];
  }

  /** Drops every queued fault and returns how many requests they still covered. */
  clear(): number {
    const remaining = this.queue.reduce((sum, fault) => sum + fault.remaining, 0);
    this.queue = [];
    return remaining;
  }
}
