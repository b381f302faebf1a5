import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BrokerMetrics } from '../metrics/broker-metrics';
import type { BrokerConfig } from '../config/broker-config';
import { compareConfigs } from './config-changes';
import { ConfigFileWatcher } from './config-file-watcher';
import { ConfigValidationError } from '../config/config.errors';
import { LiveConfig } from '../config/live-config.service';

/** Loads and validates the configuration again, exactly as at boot; throws ConfigValidationError. */
export type BrokerConfigSource = () => BrokerConfig;
export const BROKER_CONFIG_SOURCE = Symbol('BROKER_CONFIG_SOURCE');

/** Also listed in BrokerMetrics, which zeroes each at boot. */
export type ReloadOutcome = 'applied' | 'rejected' | 'unchanged';
export type ReloadTrigger = 'SIGHUP' | 'file change';

/**
 * Writers replace files in steps (Kubernetes writes every key of a secret, then swaps the
 * symlink; `cp` truncates, then writes): wait this long after the last change seen, then
 * reload once for the whole burst.
 */
export const SETTLE_MS = 500;

const sameFiles = (a: BrokerConfig, b: BrokerConfig) =>
  (a.sourceFiles ?? []).join('\n') === (b.sourceFiles ?? []).join('\n');

/**
 * Re-reads the configuration on SIGHUP and when one of its files changes, through the boot
 * loader (same validation, every problem listed, values never echoed). A valid config whose
 * profile set is unchanged replaces the running one at once; anything else is refused, and
 * the broker keeps running on what it had.
 */
@Injectable()
export class ConfigReloader implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConfigReloader.name);
  private stopWatching: () => void = () => undefined;
  private settling?: NodeJS.Timeout;
  private readonly onSignal = () => void this.reload('SIGHUP');

  constructor(
    @Inject(BROKER_CONFIG_SOURCE) private readonly source: BrokerConfigSource,
    private readonly live: LiveConfig,
    private readonly watcher: ConfigFileWatcher,
    private readonly metrics: BrokerMetrics,
  ) {}

  onApplicationBootstrap(): void {
    // Any listener replaces Node's default action for SIGHUP, which is to exit.
    process.on('SIGHUP', this.onSignal);
    this.watch(this.live.current);
  }

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onSignal);
    clearTimeout(this.settling);
    this.stopWatching();
  }

  /** Synchronous from the read to the swap: no request runs in between. Never throws. */
  reload(trigger: ReloadTrigger): ReloadOutcome {
    let outcome: ReloadOutcome;
    try {
      outcome = this.apply(trigger);
    } catch (error) {
      outcome = this.reject(trigger, 'failed', [`unexpected ${(error as Error).name}`]);
    }
    this.metrics.configReloads.inc({ outcome });
    return outcome;
  }

  private apply(trigger: ReloadTrigger): ReloadOutcome {
    let next: BrokerConfig;
    try {
      next = this.source();
    } catch (error) {
      // Not the message of an unexpected error: it could quote a file's content.
      const problems = error instanceof ConfigValidationError ? error.problems : [`${(error as Error).name}`];
      return this.reject(trigger, 'invalid configuration', problems);
    }
    const current = this.live.current;
    const { reloadable, restartOnly } = compareConfigs(current, next);
    if (restartOnly.length > 0) return this.reject(trigger, 'these changes need a restart', restartOnly);
    if (reloadable.length === 0) {
      this.logger.log(`configuration reload (${trigger}): unchanged`);
      return 'unchanged';
    }
    this.live.replace(next);
    if (!sameFiles(current, next)) this.watch(next);
    this.logger.log(`configuration reload (${trigger}) applied: ${reloadable.join(', ')}`);
    return 'applied';
  }

  private reject(trigger: ReloadTrigger, why: string, problems: readonly string[]): 'rejected' {
    this.logger.error(
      `configuration reload (${trigger}) rejected, ${why}; still running on the previous configuration ` +
        `(${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    return 'rejected';
  }

  private watch(config: BrokerConfig): void {
    this.stopWatching();
    this.stopWatching = this.watcher.watch(config.sourceFiles ?? [], () => this.changed());
  }

  private changed(): void {
    clearTimeout(this.settling);
    this.settling = setTimeout(() => {
      this.settling = undefined;
      this.reload('file change');
    }, SETTLE_MS);
  }
}
