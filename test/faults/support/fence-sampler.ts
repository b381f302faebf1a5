import { sleep } from '../../support/wait';
import type { FaultCluster } from './fault-cluster';

export interface FenceSample {
  readonly at: number;
  readonly fence: number;
}

/**
 * Samples `HGET {broker:default}:token fence` straight from Redis every `intervalMs`. Times
 * when Redis is down or empty give no sample; a drop between two samples, across a Redis
 * restart included, is a broken guarantee.
 */
export class FenceSampler {
  readonly samples: FenceSample[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly cluster: FaultCluster,
    private readonly intervalMs = 50,
  ) {
    this.done = this.loop();
  }

  async stop(): Promise<FenceSample[]> {
    this.running = false;
    await this.done;
    return this.samples;
  }

  /** Every pair of consecutive samples where the stored fence went down. */
  drops(): { from: FenceSample; to: FenceSample }[] {
    return this.samples
      .slice(1)
      .flatMap((to, i) => (to.fence < this.samples[i].fence ? [{ from: this.samples[i], to }] : []));
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const fence = await this.cluster.storedFence();
      if (fence !== undefined) this.samples.push({ at: Date.now(), fence });
      await sleep(this.intervalMs);
    }
  }
}
