import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { LiveConfig } from '../../config/live-config.service';
import { LockLease, TokenStore } from '../../store/token-store';

/**
 * The holds this replica keeps after a permanent failure (say invalid_client): the lock of
 * the profile, kept for BROKER_PERMANENT_FAILURE_HOLD_MS so that no replica retries. The hold
 * waits for an operator to fix the credentials; a reload that changes the profile's client
 * secrets is that fix, so the lock is released and the status's next attempt cleared, and the
 * next scheduled, forced or cold-path refresh tries the new secrets at once. Only the replica
 * that got the failure holds the lock; every replica reloads the same files.
 */
@Injectable()
export class FailureHolds implements OnModuleInit {
  private readonly logger = new Logger(FailureHolds.name);
  private readonly holds = new Map<string, LockLease>();
  /** How many reloads changed each profile's client secrets (a request in flight knows its own). */
  private readonly secretChanges = new Map<string, number>();

  constructor(
    private readonly store: TokenStore,
    private readonly live: LiveConfig,
  ) {}

  onModuleInit(): void {
    this.live.onSecretsChanged((profile) => {
      this.secretChanges.set(profile, this.secretsVersion(profile) + 1);
      void this.lift(profile);
    });
  }

  /** Taken when a request to Proof is sent; see `mayHold`. */
  secretsVersion(profile: string): number {
    return this.secretChanges.get(profile) ?? 0;
  }

  /** A failure of a request sent with secrets a reload has since replaced says nothing of the new ones. */
  mayHold(profile: string, secretsVersion: number): boolean {
    return secretsVersion === this.secretsVersion(profile);
  }

  /** `lease` is kept (holdLock) after a permanent failure. */
  keep(profile: string, lease: LockLease): void {
    this.holds.set(profile, lease);
  }

  /** A later attempt (a token, or a transient failure) ended the hold. */
  forget(profile: string): void {
    this.holds.delete(profile);
  }

  private async lift(profile: string): Promise<void> {
    const lease = this.holds.get(profile);
    if (!lease) return;
    // Compare-and-delete: a hold that already ended (or a lock that moved on) is left alone.
    // Redis unreachable: the entry stays, for the next reload.
    const released = await this.store.releaseLock(lease).catch(() => undefined);
    if (released === undefined) return;
    if (this.holds.get(profile) === lease) this.holds.delete(profile);
    if (!released) return;
    const status = await this.store.readStatus(profile).catch(() => undefined);
    if (status) await this.store.writeStatus(profile, { ...status, nextAttemptAt: undefined }).catch(() => undefined);
    this.logger.log(
      `profile ${profile}: client secrets reloaded, the hold after ${status?.lastError ?? 'a permanent failure'} is lifted`,
    );
  }
}
