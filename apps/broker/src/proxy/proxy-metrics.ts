import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { TalliedHistogram } from '../metrics/tallied-histogram';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A label-safe method: anything else a client makes up is one series, OTHER. */
export const methodLabel = (method: string | undefined): string =>
  method !== undefined && METHODS.has(method) ? method : 'OTHER';

export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

type RequestLabels = { profile: string; method: string; status_class: string };

/** Requests counted in a plain number on the request path; the counter takes them in at each scrape. */
interface RequestTally {
  readonly labels: RequestLabels;
  count: number;
  reported: number;
}

/** The proxy's metrics, on the broker's registry. Labels: profile names, methods, status classes. */
@Injectable()
export class ProxyMetrics {
  readonly requests: Counter<'profile' | 'method' | 'status_class'>;
  /** Upstream latency per profile: bucket counts in plain arrays, rendered at scrape (TalliedHistogram). */
  readonly upstreamDuration: TalliedHistogram;
  readonly retries: Counter<'profile'>;

  /**
   * Request counts by profile, method, then status class digit: a labelled prom-client inc()
   * (even on a child from labels()) builds and hashes a labels object and validates it on
   * every call; here a request costs two map lookups and an increment, nothing allocated.
   */
  private readonly tallies = new Map<string, Map<string, RequestTally[]>>();

  constructor(metrics: BrokerMetrics) {
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: 'broker_proxy_requests_total',
      help: "Requests to /proof/*, by profile ('none' before one is known), method and the answer's status class",
      labelNames: ['profile', 'method', 'status_class'],
      registers,
      collect: () => this.reportTallies(),
    });
    this.upstreamDuration = new TalliedHistogram(
      'broker_proxy_upstream_duration_seconds',
      "Proxied requests: from sending to Proof to Proof's response headers, per attempt",
      'profile',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      metrics.registry,
    );
    this.retries = new Counter({
      name: 'broker_proxy_retries_total',
      help: "Proxied requests sent again with the new token after Proof's 401 to the one injected",
      labelNames: ['profile'],
      registers,
    });
  }

  countRequest(profile: string, method: string | undefined, status: number): void {
    const label = methodLabel(method);
    let byMethod = this.tallies.get(profile);
    if (!byMethod) this.tallies.set(profile, (byMethod = new Map<string, RequestTally[]>()));
    let byClass = byMethod.get(label);
    if (!byClass) byMethod.set(label, (byClass = []));
    const digit = Math.floor(status / 100);
    let tally = byClass[digit];
    if (!tally) {
      const labels = { profile, method: label, status_class: statusClass(status) };
      byClass[digit] = tally = { labels, count: 0, reported: 0 };
    }
    tally.count++;
  }

  private reportTallies(): void {
    for (const byMethod of this.tallies.values())
      for (const byClass of byMethod.values())
        for (const tally of byClass) {
          if (!tally || tally.count === tally.reported) continue;
          this.requests.inc(tally.labels, tally.count - tally.reported);
          tally.reported = tally.count;
        }
  }

  observeUpstream(profile: string, seconds: number): void {
    this.upstreamDuration.observe(profile, seconds);
  }
}
