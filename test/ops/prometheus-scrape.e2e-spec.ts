import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load, YAML11_SCHEMA } from 'js-yaml';
import { LocalCluster, startTestCluster } from '../support/local-cluster';
import { metricNames, PrometheusServer, startPrometheus } from '../support/prometheus';
import { waitUntil } from '../support/wait';

const DOCKER = join(__dirname, '..', '..', 'docker');
const ALERTS = join(DOCKER, 'broker-alerts.yml');
const yaml = <T>(path: string) => load(readFileSync(path, 'utf8'), { schema: YAML11_SCHEMA }) as T;

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}
interface PrometheusConfig {
  global: Record<string, string>;
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}
type Sample = { metric: Record<string, string>; value: [number, string] };

/**
 * docker/prometheus.yml with compose's names swapped for the local cluster's ports, scraping and
 * evaluating every second. The local cluster's HAProxy has no Prometheus exporter: its job goes.
 */
function clusterConfig(cluster: LocalCluster): PrometheusConfig {
  const config = yaml<PrometheusConfig>(join(DOCKER, 'prometheus.yml'));
  const broker = config.scrape_configs.find((c) => c.job_name === 'broker')!;
  const byName = new Map(cluster.replicas.map((r) => [r.name, r.port]));
  broker.static_configs = broker.static_configs.map(({ targets, labels }) => {
    const port = byName.get(targets[0].split(':')[0]);
    if (!port) throw new Error(`prometheus.yml scrapes ${targets[0]}, which the local cluster does not have`);
    return { targets: [`127.0.0.1:${port}`], labels };
  });
  return {
    ...config,
    global: { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: config.rule_files.map(() => ALERTS),
    scrape_configs: [broker],
  };
}

describe('Prometheus (Debian) scraping a local cluster with docker/prometheus.yml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'broker-prometheus-'));
  let cluster: LocalCluster;
  let prometheus: PrometheusServer;
  const query = (promql: string) => prometheus.api<{ result: Sample[] }>(`query?query=${encodeURIComponent(promql)}`);

  beforeAll(async () => {
    // Three Nest boots at once took over 30 s at a load average of 20 (one alone took 15 s).
    cluster = await startTestCluster({ bootTimeoutMs: 90_000 });
    // One GET /token through HAProxy, so that the served counter has a sample.
    const response = await fetch(`${cluster.url}/token`, { headers: { authorization: `Bearer ${cluster.callerKey}` } });
    expect(response.status).toBe(200);
    writeFileSync(join(dir, 'prometheus.yml'), dump(clusterConfig(cluster)));
    prometheus = await startPrometheus(join(dir, 'prometheus.yml'), join(dir, 'data'));
  }, 240_000);

  afterAll(async () => {
    await prometheus?.process.stop('SIGTERM');
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('answers a PromQL query with the token TTL of every replica', async () => {
    let samples: Sample[] = [];
    await waitUntil(
      'a TTL sample of every replica',
      async () => {
        samples = (await query('broker_token_ttl_seconds')).result;
        return new Set(samples.map((s) => s.metric.replica)).size === cluster.replicas.length;
      },
      30_000,
      250,
    );
    expect(samples.map((s) => [s.metric.replica, s.metric.profile]).sort()).toEqual(
      cluster.replicas.map((r) => [r.name, 'default']),
    );
    for (const { value } of samples) expect(Number(value[1])).toBeGreaterThan(60);
  });

  it('loads the alert rules, evaluates each without error, and nothing fires or pends on a healthy cluster', async () => {
    type RuleState = { name: string; health: string; lastError?: string; lastEvaluation: string };
    const since = Date.now();
    let rules: RuleState[] = [];
    await waitUntil(
      'two rule evaluations after every replica was scraped',
      async () => {
        const data = await prometheus.api<{ groups: { rules: RuleState[] }[] }>('rules');
        rules = data.groups.flatMap((g) => g.rules);
        return rules.length > 0 && rules.every((r) => Date.parse(r.lastEvaluation) > since + 1_000);
      },
      30_000,
      250,
    );
    expect(rules.map((r) => r.name).sort()).toEqual(
      yaml<{ groups: { rules: { alert: string }[] }[] }>(ALERTS)
        .groups.flatMap((g) => g.rules.map((r) => r.alert))
        .sort(),
    );
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    const { alerts } = await prometheus.api<{ alerts: { labels: Record<string, string>; state: string }[] }>('alerts');
    expect(alerts).toEqual([]);
  });

  it('finds every metric the Grafana dashboard and the alert rules use in the replicas’ /metrics', async () => {
    const dashboard = readFileSync(join(DOCKER, 'grafana', 'dashboards', 'token-broker.json'), 'utf8');
    const exprs = [
      ...[...dashboard.matchAll(/"expr":\s*"((?:[^"\\]|\\.)*)"/g)].map(([, e]) => JSON.parse(`"${e}"`) as string),
      ...yaml<{ groups: { rules: { expr: string }[] }[] }>(ALERTS).groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const used = new Set(exprs.flatMap(metricNames));
    expect(used.size).toBeGreaterThan(5);
    const answers = await Promise.all(cluster.replicas.map(async (r) => (await fetch(`${r.url}/metrics`)).text()));
    // Sample lines only: a metric with HELP and TYPE but no sample cannot be queried.
    const exposed = new Set(
      answers.flatMap((text) =>
        text
          .split('\n')
          .filter((line) => line && !line.startsWith('#'))
          .map((line) => /^[\w:]+/.exec(line)![0]),
      ),
    );
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
    const scraped = await prometheus.api<string[]>('label/__name__/values');
    expect([...used].filter((name) => !scraped.includes(name))).toEqual([]);
  });

  // Last: it stops the replicas. A failed scrape marks a replica's series stale at once.
  it('puts BrokerNoReplicaReady up (pending for its minute) once no replica answers', async () => {
    await Promise.all(cluster.replicas.map((r) => cluster.stopReplica(r.name)));
    type Alert = { labels: Record<string, string>; state: string };
    let alerts: Alert[] = [];
    await waitUntil(
      'BrokerNoReplicaReady pending',
      async () => {
        alerts = (await prometheus.api<{ alerts: Alert[] }>('alerts')).alerts;
        return alerts.length > 0;
      },
      30_000,
      250,
    );
    expect(alerts.map((a) => [a.labels.alertname, a.state])).toEqual([['BrokerNoReplicaReady', 'pending']]);
  });
});
