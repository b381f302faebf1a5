import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { BrokerMetrics } from '../metrics/broker-metrics';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A label-safe method: anything else a client makes up is one series, OTHER. */
export const methodLabel = (method: string | undefined): string =>
  method !== undefined && METHODS.has(method) ? method : 'OTHER';

export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

/** The proxy's metrics, on the broker's registry. Labels: profile names, methods, status classes. */
@Injectable()
export class ProxyMetrics {
  readonly requests: Counter<'profile' | 'method' | 'status_class'>;
  readonly upstreamDuration: Histogram<'profile'>;
  readonly retries: Counter<'profile'>;

  /** Labelled children by label values: prom-client hashes the labels of every labelled inc() otherwise. */
  private readonly counted = new Map<string, Counter.Internal>();
  private readonly timed = new Map<string, Histogram.Internal<'profile'>>();

  constructor(metrics: BrokerMetrics) {
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: 'broker_proxy_requests_total',
      help: "Requests to /proof/*, by profile ('none' before one is known), method and the answer's status class",
      labelNames: ['profile', 'method', 'status_class'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'broker_proxy_upstream_duration_seconds',
      help: "Proxied requests: from sending to Proof to Proof's response headers, per attempt",
      labelNames: ['profile'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.retries = new Counter({
      name: 'broker_proxy_retries_total',
      help: "Proxied requests sent again with the new token after Proof's 401 to the one injected",
      labelNames: ['profile'],
      registers,
    });
  }

  countRequest(profile: string, method: string | undefined, status: number): void {
    const labels = [profile, methodLabel(method), statusClass(status)];
    const key = labels.join(' ');
    let child = this.counted.get(key);
    if (!child) this.counted.set(key, (child = this.requests.labels(...labels)));
    child.inc();
  }

  observeUpstream(profile: string, seconds: number): void {
    let child = this.timed.get(profile);
    if (!child) this.timed.set(profile, (child = this.upstreamDuration.labels(profile)));
    child.observe(seconds);
  }
}
