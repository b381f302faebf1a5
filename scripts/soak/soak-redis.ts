import Redis from 'ioredis';
import type { ManagedProcess } from '../lib/managed-process';
import { startRedisProcess } from '../lib/redis-process';

/** The soak's redis-server, which faults kill, restart empty and pause, and a direct reader. */
export class SoakRedis {
  private process?: ManagedProcess;
  private readonly direct: Redis;

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly onLine?: (line: string) => void,
  ) {
    // Never waits on a paused or dead Redis: the samplers skip what they cannot read.
    this.direct = new Redis(this.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      retryStrategy: () => 100,
    });
    this.direct.on('error', () => undefined);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on its port, empty (persistence off). */
  async start(): Promise<void> {
    this.process = await startRedisProcess(this.port, this.dir, this.onLine);
  }

  /** SIGKILL: nothing is saved, so the next start() is empty. */
  async kill(): Promise<void> {
    this.process?.child.kill('SIGCONT');
    await this.process?.stop('SIGKILL');
  }

  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.process?.child.kill(signal);
  }

  /**
   * A profile's stored fence and pending hand-over (its fence, and the replica that recorded
   * it); undefined: down, paused or empty.
   */
  async stored(profile: string): Promise<{ fence?: number; handover?: number; handoverBy?: string }> {
    try {
      const [fence, handover, handoverBy] = await this.direct.hmget(
        `{broker:${profile}}:token`,
        'fence',
        'handover',
        'handover_by',
      );
      return {
        fence: fence === null ? undefined : Number(fence),
        handover: handover === null ? undefined : Number(handover),
        handoverBy: handoverBy ?? undefined,
      };
    } catch {
      return {};
    }
  }

  async stop(): Promise<void> {
    this.direct.disconnect();
    this.process?.child.kill('SIGCONT');
    await this.process?.stop('SIGTERM');
  }
}
