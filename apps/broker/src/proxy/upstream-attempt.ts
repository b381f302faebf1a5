import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';

/** What `settled` resolves with for a 401 that was held back (not written) for the forwarder to decide on. */
export const HELD = -401;

/** Writes Proof's status and header fields (raw, as received) on the caller's response. */
export type HeadWriter = (statusCode: number, rawHeaders: readonly Buffer[]) => void;

type Settle = { resolve: (status: number) => void; reject: (error: Error) => void };

/**
 * One request to Proof on undici's dispatch API, Proof's answer written straight to the
 * caller's response as it arrives: no response Readable, no pipeline, no AbortSignal per
 * request. Each of those cost allocations on every call, and with the broker's small young
 * generation (--max-semi-space-size) the garbage of 50 requests in flight is what the proxy
 * spent most of its extra time on (docs/PROXY.md). Backpressure: undici is paused while the
 * response's buffer is full and resumed on 'drain'.
 *
 * `settled` resolves with the status once the answer has ended (or was cut), with HELD for a
 * 401 kept back when `holdUnauthorized` (nothing written: `release` or `discard` it), and
 * rejects only when Proof's answer never started (refused, timed out, the caller gone).
 */
export class UpstreamAttempt implements Dispatcher.DispatchHandler {
  readonly settled: Promise<number>;
  /** Time from dispatch to Proof's response head (or to the failure), ms. */
  upstreamMs = 0;
  private settle!: Settle;
  private controller?: Dispatcher.DispatchController;
  private state: 'waiting' | 'held' | 'streaming' | 'discarding' | 'done' = 'waiting';
  private statusCode = 0;
  private rawHeaders: readonly Buffer[] = [];
  /** What arrived of a held 401 before undici paused, and whether it ended. */
  private heldChunks?: Buffer[];
  private heldEnded = false;
  /** A held 401 cut before it was released: it can only become a 502. */
  private heldError?: Error;
  private paused = false;
  private gone?: Error;
  private readonly startedAt = performance.now();

  constructor(
    private readonly response: ServerResponse,
    private readonly writeHead: HeadWriter,
    private readonly holdUnauthorized: boolean,
  ) {
    this.settled = new Promise<number>((resolve, reject) => (this.settle = { resolve, reject }));
  }

  /** The caller went away: stop the request to Proof (now, or as soon as it is dispatched). */
  callerGone(reason: Error): void {
    this.gone = reason;
    this.controller?.abort(reason);
  }

  /** Writes the held 401 to the caller after all; resolves with 401 once it has ended. */
  release(): Promise<number> {
    if (this.heldError) return Promise.reject(this.heldError);
    const settled = new Promise<number>((resolve, reject) => (this.settle = { resolve, reject }));
    this.startStreaming();
    for (const chunk of this.heldChunks ?? []) this.onResponseData(this.controller, chunk);
    if (this.heldEnded) this.onResponseEnd();
    // Unless the held chunks already filled the response's buffer: then 'drain' resumes.
    else if (!this.paused) this.controller?.resume();
    return settled;
  }

  /** Reads the held 401 to its end and drops it (the connection stays reusable). */
  discard(): void {
    if (this.state !== 'held') return;
    this.state = this.heldEnded ? 'done' : 'discarding';
    this.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.gone) controller.abort(this.gone);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number): void {
    // 1xx (100 Continue, 103 Early Hints) are the hop's own: the final answer follows.
    if (statusCode < 200) return;
    this.upstreamMs = performance.now() - this.startedAt;
    this.statusCode = statusCode;
    this.rawHeaders = (controller.rawHeaders as Buffer[] | null) ?? [];
    if (statusCode === 401 && this.holdUnauthorized) {
      this.state = 'held';
      this.heldChunks = [];
      controller.pause();
      this.settle.resolve(HELD);
      return;
    }
    // Throws (a field Node refuses to send): undici then reports it to onResponseError, still 'waiting'.
    this.startStreaming();
  }

  onResponseData(_controller: unknown, chunk: Buffer): void {
    if (this.state === 'held') this.heldChunks?.push(chunk);
    // A destroyed response (the caller gone) takes no more: callerGone has aborted the request.
    else if (this.state === 'streaming' && !this.response.destroyed && !this.response.write(chunk) && !this.paused) {
      this.paused = true;
      this.controller?.pause();
      this.response.once('drain', () => this.resume());
    }
  }

  onResponseEnd(): void {
    if (this.state === 'held') {
      this.heldEnded = true;
      return;
    }
    if (this.state === 'streaming') {
      this.state = 'done';
      if (!this.response.destroyed) this.response.end();
      this.settle.resolve(this.statusCode);
    }
  }

  onResponseError(_controller: unknown, error: Error): void {
    const state = this.state;
    this.state = 'done';
    if (state === 'waiting') {
      this.upstreamMs = performance.now() - this.startedAt;
      this.settle.reject(error);
    } else if (state === 'held') {
      this.heldError = error;
    } else if (state === 'streaming') {
      // Cut mid-answer (Proof's body stalled past the idle timeout, the connection lost, the
      // caller gone): the caller sees a truncated answer, never a complete-looking one.
      this.response.destroy();
      this.settle.resolve(this.statusCode);
    }
  }

  private startStreaming(): void {
    this.writeHead(this.statusCode, this.rawHeaders);
    this.state = 'streaming';
  }

  private resume(): void {
    this.paused = false;
    this.controller?.resume();
  }
}
