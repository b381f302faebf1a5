import { sleep } from '../../support/wait';

/** Concurrent caller loops of the load: each waits for its answer before the next request. */
export const LOAD_CONCURRENCY = 6;

export interface ServedRequest {
  readonly target: string;
  readonly status: number;
  readonly token?: string;
  readonly error?: string;
  readonly startedAt: number;
  /** Client-side time the response arrived (ms). */
  readonly at: number;
}

/**
 * Steady concurrent `GET /token` load, like a load balancer in front of the replicas: a fixed
 * number of sequential loops, each sending its next request to the next live target
 * (round-robin). `remove()` takes a target out of rotation and waits until its in-flight
 * requests are answered, as a load balancer deregistering an instance does, so the test
 * can then stop or kill it without failing a caller that was never routed to it.
 */
export class LoadDriver {
  readonly served: ServedRequest[] = [];
  private readonly targets: string[];
  private readonly inFlight = new Map<string, number>();
  private next = 0;
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    targets: string[],
    private readonly key: string,
    concurrency = LOAD_CONCURRENCY,
    private readonly pauseMs = 10,
  ) {
    this.targets = [...targets];
    this.loops = Array.from({ length: concurrency }, () => this.loop());
  }

  targetList(): readonly string[] {
    return this.targets;
  }

  add(target: string): void {
    if (!this.targets.includes(target)) this.targets.push(target);
  }

  async remove(target: string): Promise<void> {
    const index = this.targets.indexOf(target);
    if (index >= 0) this.targets.splice(index, 1);
    while ((this.inFlight.get(target) ?? 0) > 0) await sleep(2);
  }

  async stop(): Promise<ServedRequest[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.served;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.targets.length === 0) {
        await sleep(this.pauseMs);
        continue;
      }
      const target = this.targets[this.next++ % this.targets.length];
      this.inFlight.set(target, (this.inFlight.get(target) ?? 0) + 1);
      const startedAt = Date.now();
      try {
        const response = await fetch(`${target}/token`, {
          headers: { authorization: `Bearer ${this.key}` },
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await response.json()) as { access_token?: string; error?: string };
        this.served.push({
          target,
          status: response.status,
          token: body.access_token,
          error: body.error,
          startedAt,
          at: Date.now(),
        });
      } catch (error) {
        this.served.push({ target, status: 0, error: (error as Error).message, startedAt, at: Date.now() });
      } finally {
        this.inFlight.set(target, (this.inFlight.get(target) ?? 1) - 1);
      }
      await sleep(this.pauseMs);
    }
  }
}
