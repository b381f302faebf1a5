import Redis from 'ioredis';
import { sleep } from '../../support/wait';
import { PROFILE, Replica } from './fault-cluster';

const REGISTRY_KEY = `{broker:${PROFILE}}:replicas`;

interface Sample {
  /** Local time of the sample (ms). */
  readonly at: number;
  readonly ready: boolean;
  /** Ready only on Proof's word (the presence lease lapsed): readiness' `on_evidence` detail. */
  readonly onEvidence: boolean;
  /** Whether the replica's registry entry was still unexpired by Redis' clock. */
  readonly present: boolean;
}

/**
 * Watches one replica as a load balancer and a lock holder would: its /health/ready every
 * 50 ms, and, by Redis' own clock (TIME), whether its entry in the replica registry is
 * still live (a holder goes on without it only once it is not). Reads Redis directly, not
 * through the replica's proxy.
 */
export class PresenceWatch {
  readonly samples: Sample[] = [];
  private readonly redis: Redis;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly replica: Replica,
    redisUrl: string,
  ) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 });
    this.redis.on('error', () => undefined);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.redis.disconnect();
  }

  /** First sample (local ms) at or after `from` at which the replica no longer served on its lease: red, or on evidence. */
  firstOffLease(from: number): number | undefined {
    return this.samples.find((s) => s.at >= from && (!s.ready || s.onEvidence))?.at;
  }

  /** First sample at which the registry entry was gone or expired, at or after `from`. */
  firstAbsent(from: number): number | undefined {
    return this.samples.find((s) => s.at >= from && !s.present)?.at;
  }

  /** Total ms of red readiness between samples, and the longest red stretch. */
  red(): { totalMs: number; longestMs: number } {
    let totalMs = 0;
    let longestMs = 0;
    let stretch = 0;
    for (let i = 1; i < this.samples.length; i++) {
      const step = this.samples[i].at - this.samples[i - 1].at;
      if (this.samples[i - 1].ready) stretch = 0;
      else {
        totalMs += step;
        stretch += step;
        longestMs = Math.max(longestMs, stretch);
      }
    }
    return { totalMs, longestMs };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const [readiness, present] = await Promise.all([this.readiness(), this.present()]);
      this.samples.push({ at: Date.now(), ...readiness, present });
      await sleep(50);
    }
  }

  private async readiness(): Promise<{ ready: boolean; onEvidence: boolean }> {
    try {
      const response = await fetch(`${this.replica.url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { details?: { tokens?: { on_evidence?: string[] } } };
      return { ready: response.status === 200, onEvidence: (body.details?.tokens?.on_evidence ?? []).length > 0 };
    } catch {
      return { ready: false, onEvidence: false };
    }
  }

  private async present(): Promise<boolean> {
    try {
      const [[, time], [, until]] = (await this.redis
        .multi()
        .time()
        .zscore(REGISTRY_KEY, this.replica.name)
        .exec()) as [[null, [string, string]], [null, string | null]];
      const nowMs = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      return until !== null && Number(until) > nowMs;
    } catch {
      // Redis unreadable: say present, so that a red readiness is never credited to an absence.
      return true;
    }
  }
}
