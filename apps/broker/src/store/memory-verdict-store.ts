import { Injectable } from '@nestjs/common';
import { Verdict, VerdictState, VerdictStore } from './verdict-store';

/** The embedded twin of RedisVerdictStore: the same SET NX and TTL semantics inside one process. */
@Injectable()
export class MemoryVerdictStore extends VerdictStore {
  private readonly entries = new Map<string, { state: VerdictState; expiresAt: number }>();

  claim(profile: string, fence: number, ttlMs: number): Promise<boolean> {
    // Verdicts of replaced fences are never read again: sweep them here, where a new fence is judged.
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    if (this.live(profile, fence)) return Promise.resolve(false);
    this.entries.set(`${profile}/${fence}`, { state: 'checking', expiresAt: Date.now() + ttlMs });
    return Promise.resolve(true);
  }

  read(profile: string, fence: number): Promise<VerdictState | undefined> {
    return Promise.resolve(this.live(profile, fence)?.state);
  }

  settle(profile: string, fence: number, verdict: Verdict, ttlMs: number): Promise<void> {
    this.entries.set(`${profile}/${fence}`, { state: verdict, expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }

  private live(profile: string, fence: number): { state: VerdictState } | undefined {
    const key = `${profile}/${fence}`;
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.entries.delete(key);
    return this.entries.get(key);
  }
}
