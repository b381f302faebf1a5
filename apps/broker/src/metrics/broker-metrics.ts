import { Injectable } from '@nestjs/common';
import type { BrokerConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';

const REFRESH_OUTCOMES = [
  'refreshed',
  'reused',
  'refreshed_without_lock',
  'transient_failure',
  'permanent_failure',
  'stale_write',
];
const LOCK_RESULTS = ['acquired', 'contended', 'expired_while_held'];
const REJECTION_VERDICTS = ['replaced', 'alive', 'refreshed', 'check_failed', 'refresh_failed'];
const CONFIG_RELOAD_OUTCOMES = ['applied', 'rejected', 'unchanged'];
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

interface ServedTally {
  readonly labels: { profile: string; caller: string };
  count: number;
  reported: number;
}

/**
 * Every Prometheus metric of the broker, on a registry of its own. Labels are profile
 * names, caller names, outcomes and status classes: never a token, key or secret.
 */
@Injectable()
export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly beforeScrapeHooks: (() => void)[] = [];

  readonly tokenTtl = new Gauge({
    name: 'broker_token_ttl_seconds',
    help: 'Seconds until the token this replica serves for a profile expires (the dashboard gauge)',
    labelNames: ['profile'],
    registers: [this.registry],
  });

  readonly refreshes = new Counter({
    name: 'broker_refreshes_total',
    help: 'Refresh attempts that reached Proof, by outcome (refreshed, reused, transient_failure, permanent_failure, stale_write)',
    labelNames: ['profile', 'outcome'],
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'broker_upstream_request_duration_seconds',
    help: 'Duration of token requests to Proof, by status class (2xx, 4xx, 5xx, timeout, network)',
    labelNames: ['profile', 'status_class'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly lock = new Counter({
    name: 'broker_lock_total',
    help: 'Refresh lock attempts: acquired, contended (held by another replica), expired_while_held',
    labelNames: ['profile', 'result'],
    registers: [this.registry],
  });

  readonly fencedWritesRejected = new Counter({
    name: 'broker_fenced_writes_rejected_total',
    help: 'Token writes rejected because a newer fence exists (a stale writer was stopped)',
    labelNames: ['profile'],
    registers: [this.registry],
  });

  /** GET /token counts in plain numbers (servedTally); the counter takes them in at each scrape. */
  private readonly servedTallies: ServedTally[] = [];

  readonly served: Counter<'profile' | 'caller'> = new Counter({
    name: 'broker_tokens_served_total',
    help: 'Tokens handed out, by profile and caller',
    labelNames: ['profile', 'caller'],
    registers: [this.registry],
    collect: () => {
      for (const tally of this.servedTallies) {
        if (tally.count === tally.reported) continue;
        this.served.inc(tally.labels, tally.count - tally.reported);
        tally.reported = tally.count;
      }
    },
  });

  /**
   * The tally of tokens served to `caller` for `profile`, to increment per request: a labelled
   * prom-client `inc()` hashes its labels and allocates on every call, which GET /token's
   * throughput notices. Keep the tally (one per caller and profile) rather than asking again.
   */
  servedTally(profile: string, caller: string): { count: number } {
    // One per label pair: a reload rebuilds the callers, and asks again.
    let tally = this.servedTallies.find((t) => t.labels.profile === profile && t.labels.caller === caller);
    if (!tally) this.servedTallies.push((tally = { labels: { profile, caller }, count: 0, reported: 0 }));
    return tally;
  }

  readonly configReloads = new Counter({
    name: 'broker_config_reloads_total',
    help: 'Configuration reloads (SIGHUP or a changed file), by outcome: applied, rejected (invalid or needs a restart), unchanged',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly rejections = new Counter({
    name: 'broker_token_rejections_total',
    help: 'POST /token/rejected reports, by verdict: replaced, alive, refreshed, check_failed, refresh_failed',
    labelNames: ['profile', 'verdict'],
    registers: [this.registry],
  });

  readonly logLinesDropped = new Counter({
    name: 'broker_log_lines_dropped_total',
    help: 'Log and audit lines dropped because the log destination (stdout) fell more than 64 MiB behind',
    registers: [this.registry],
  });

  readonly redisUp = new Gauge({
    name: 'broker_redis_up',
    help: '1 while the Redis command connection is ready, 0 otherwise (absent on the embedded store)',
    registers: [this.registry],
  });

  constructor(@InjectBrokerConfig() config: BrokerConfig) {
    collectDefaultMetrics({ register: this.registry });
    // Start every series at 0: Prometheus' increase() cannot see a counter's first step.
    for (const outcome of CONFIG_RELOAD_OUTCOMES) this.configReloads.inc({ outcome }, 0);
    this.logLinesDropped.inc(0);
    for (const { name: profile } of config.profiles) {
      for (const outcome of REFRESH_OUTCOMES) this.refreshes.inc({ profile, outcome }, 0);
      for (const result of LOCK_RESULTS) this.lock.inc({ profile, result }, 0);
      this.fencedWritesRejected.inc({ profile }, 0);
      for (const verdict of REJECTION_VERDICTS) this.rejections.inc({ profile, verdict }, 0);
    }
  }

  /** `hook` runs before each scrape: it sets gauges from state other modules own (the token cache). */
  beforeScrape(hook: () => void): void {
    this.beforeScrapeHooks.push(hook);
  }

  scrape(): Promise<string> {
    for (const hook of this.beforeScrapeHooks) hook();
    return this.registry.metrics();
  }
}
