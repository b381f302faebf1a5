import { setTimeout as sleep } from 'node:timers/promises';
import { FAST_BROKER_TIMINGS } from '../lib/fast-timings';
import { type ExcuseWindows, SAME_EXPIRY_MS } from './excuse-windows';
import type { SoakCluster, SoakProfile } from './soak-cluster';

export interface ServedSample {
  readonly profile: string;
  readonly replica: string;
  readonly token: string;
  readonly startedAt: number;
  readonly at: number;
}

export interface FenceDrop {
  readonly profile: string;
  readonly at: number;
  readonly from: number;
  readonly to: number;
}

export interface UpstreamWindow {
  readonly profile: string;
  readonly from: number;
  readonly to: number;
  readonly requests: number;
}

/** A sample period and the broker's check interval before the floor: when callers start to wait. */
const REUSE_MARGIN_MS = 500;

/**
 * What the soak watches besides its callers, each in its own loop: the token every replica
 * serves (GET /token straight to each replica, for each profile), the stored fence (straight from Redis), and
 * Proof's count of token requests per window (the emulator's stats).
 */
export class SoakWatch {
  readonly served: ServedSample[] = [];
  readonly fenceDrops: FenceDrop[] = [];
  readonly upstream: UpstreamWindow[] = [];
  fenceSamples = 0;
  /** Each profile's stored fence whenever it changed (the timeline SOAK_DUMP writes). */
  readonly fenceChanges: { profile: string; fence: number; at: number }[] = [];
  private readonly lastFence = new Map<string, number>();
  /** What each replica answered for each profile (status, expiry; no token), whenever it changed (SOAK_DUMP). */
  readonly answerChanges: { profile: string; replica: string; status: number; expiresAt?: string; at: number }[] = [];
  private readonly lastAnswer = new Map<string, string>();
  /** Expiry times of the reuse profile's tokens already given a window. */
  private readonly reuseGaps: number[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly cluster: SoakCluster,
    private readonly windows: ExcuseWindows,
    private readonly upstreamWindowMs: number,
  ) {
    this.loops = [this.sampleTokens(), this.sampleFence(), ...cluster.profiles.map((p) => this.countUpstream(p))];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async sampleTokens(): Promise<void> {
    while (this.running) {
      const { replicas, profiles } = this.cluster;
      await Promise.all(replicas.flatMap((r) => profiles.map((p) => this.sampleOne(p.name, r.name, r.url))));
      await sleep(300);
    }
  }

  private async sampleOne(profile: string, replica: string, url: string): Promise<void> {
    const startedAt = Date.now();
    try {
      const response = await fetch(`${url}/token?profile=${profile}`, {
        headers: { authorization: `Bearer ${this.cluster.keys.svc}` },
        signal: AbortSignal.timeout(6_000),
      });
      const body = (await response.json()) as { access_token?: string; expires_at?: string };
      this.answered(profile, replica, response.status, body.expires_at);
      if (response.status === 200 && body.access_token) {
        this.served.push({ profile, replica, token: body.access_token, startedAt, at: Date.now() });
        if (profile === 'reuse' && body.expires_at) this.reuseGap(Date.parse(body.expires_at));
      }
    } catch {
      // a replica killed, stopped or restarting: the callers' figures say whether that hurt
    }
  }

  private answered(profile: string, replica: string, status: number, expiresAt: string | undefined): void {
    const key = `${replica}/${profile}`;
    const seen = `${status} ${expiresAt}`;
    if (this.lastAnswer.get(key) === seen) return;
    this.lastAnswer.set(key, seen);
    this.answerChanges.push({ profile, replica, status, expiresAt, at: Date.now() });
  }

  /**
   * Under reuse Proof hands back the same token until it expires, so from the broker's floor
   * (BROKER_MIN_TTL_SECONDS) before its expiry until a new token is stored there is no servable
   * token (RELIABILITY.md, "not guaranteed"): a window, once per token.
   */
  private reuseGap(expiresAt: number): void {
    // Closed by a token that expires later, not by a newer fence: a refresh before expiry
    // stores the same token again (a newer fence), which would close it before it opened.
    this.windows.sawExpiry('reuse', expiresAt, Date.now());
    // The same token stored again reports an expiry up to a second off (whole seconds left).
    if (this.reuseGaps.some((known) => Math.abs(known - expiresAt) <= SAME_EXPIRY_MS)) return;
    this.reuseGaps.push(expiresAt);
    const from = expiresAt - Number(FAST_BROKER_TIMINGS.BROKER_MIN_TTL_SECONDS) * 1000 - REUSE_MARGIN_MS;
    this.windows.open('reuse', 'reuse: the token Proof hands back is past the floor', from, Infinity, expiresAt);
  }

  private async sampleFence(): Promise<void> {
    while (this.running) {
      for (const { name } of this.cluster.profiles) {
        const { fence } = await this.cluster.redis.stored(name);
        const at = Date.now();
        if (fence === undefined) continue;
        this.fenceSamples++;
        const last = this.lastFence.get(name);
        if (last !== undefined && fence < last) this.fenceDrops.push({ profile: name, at, from: last, to: fence });
        if (fence !== last) this.fenceChanges.push({ profile: name, fence, at });
        this.lastFence.set(name, fence);
        this.windows.sawFence(name, fence, at);
      }
      await sleep(100);
    }
  }

  private async countUpstream(profile: SoakProfile): Promise<void> {
    let from = Date.now();
    let before = (await profile.admin.stats()).tokenRequests;
    while (this.running) {
      const end = from + this.upstreamWindowMs;
      while (this.running && Date.now() < end) await sleep(100);
      const stats = await profile.admin.stats().catch(() => undefined);
      if (!stats) continue;
      const to = Date.now();
      this.upstream.push({ profile: profile.name, from, to, requests: stats.tokenRequests - before });
      from = to;
      before = stats.tokenRequests;
    }
  }
}
