import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, YAML11_SCHEMA } from 'js-yaml';
import type { BrokerConfig } from '../../apps/broker/src/config/broker-config';
import { BrokerMetrics } from '../../apps/broker/src/metrics/broker-metrics';
import { metricNames } from '../support/prometheus';

const ROOT = join(__dirname, '..', '..');
const DOCKER = join(ROOT, 'docker');

/** The broker's own metrics (apps/broker/src/metrics/broker-metrics.ts): all a dashboard may query. */
const BROKER_METRICS = [
  'broker_token_ttl_seconds',
  'broker_refreshes_total',
  'broker_upstream_request_duration_seconds',
  'broker_lock_total',
  'broker_fenced_writes_rejected_total',
  'broker_tokens_served_total',
  'broker_redis_up',
];
const HISTOGRAMS = ['broker_upstream_request_duration_seconds'];
const QUERYABLE = new Set([
  ...BROKER_METRICS.filter((m) => !HISTOGRAMS.includes(m)),
  ...HISTOGRAMS.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
]);

type Env = Record<string, unknown>;
interface Service {
  build?: { dockerfile?: string };
  image?: string;
  environment?: Env | string[];
  depends_on?: string[] | Record<string, unknown>;
  healthcheck?: unknown;
  volumes?: string[];
}
interface Compose {
  services: Record<string, Service>;
}

const text = (path: string) => readFileSync(join(DOCKER, path), 'utf8');
// Compose files use YAML 1.1 merge keys (`<<: *broker`): js-yaml 5 resolves them only with
// its YAML 1.1 schema, which also reads unquoted on/off/yes/no as booleans, as Compose does.
const yaml = <T>(path: string) => load(text(path), { schema: YAML11_SCHEMA }) as T;

function envOf(service: Service): Env {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
}
const dependsOn = (service: Service): string[] =>
  Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});

const compose = yaml<Compose>('docker-compose.yml');
const brokers = Object.entries(compose.services).filter(([, s]) => s.build?.dockerfile?.endsWith('broker.Dockerfile'));
const documented = new Set(
  readFileSync(join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z0-9_]+=/.test(line))
    .map((line) => line.split('=')[0]),
);

describe('docker/docker-compose.yml', () => {
  it('resolves its anchors and merge keys', () => {
    expect(brokers.map(([name]) => name)).toEqual(['broker1', 'broker2', 'broker3']);
    expect(JSON.stringify(compose)).not.toContain('"<<"');
  });

  it.each(['docker-compose.yml', 'docker-compose.proof.yml'])(
    '%s sets only variables documented in .env.example, as strings, on brokers and the emulator',
    (file) => {
      const services = yaml<Compose>(file).services;
      const apps = Object.keys(services).filter(
        (name) => name === 'emulator' || brokers.some(([broker]) => broker === name),
      );
      expect(apps.length).toBeGreaterThan(0);
      const set = apps.flatMap((name) =>
        Object.entries(envOf(services[name])).map(([key, value]) => ({ name, key, value })),
      );
      expect(set.filter(({ key }) => !documented.has(key))).toEqual([]);
      expect(set.filter(({ value }) => typeof value !== 'string')).toEqual([]);
    },
  );

  it('gives every broker its own replica id, Redis, a liveness check or a Redis dependency, and its callers file', () => {
    const problems = brokers.flatMap(([name, service]) => {
      const env = envOf(service);
      const redisHost = new URL(String(env.REDIS_URL)).hostname;
      return [
        env.BROKER_REPLICA_ID === name ? [] : [`${name}: BROKER_REPLICA_ID is ${String(env.BROKER_REPLICA_ID)}`],
        compose.services[redisHost] ? [] : [`${name}: REDIS_URL names no service`],
        service.healthcheck || dependsOn(service).includes(redisHost)
          ? []
          : [`${name}: no healthcheck, no Redis dependency`],
        service.volumes?.some((v) => v.split(':')[1] === env.BROKER_CALLERS_FILE)
          ? []
          : [`${name}: callers file not mounted`],
      ].flat();
    });
    expect(problems).toEqual([]);
  });

  it('points the brokers at the emulator, with credentials the emulator knows', () => {
    const emulator = envOf(compose.services.emulator);
    for (const [, service] of brokers) {
      const env = envOf(service);
      expect(env.PROOF_BASE_URL).toBe(`http://emulator:${String(emulator.EMULATOR_PORT)}`);
      expect(String(emulator.EMULATOR_CLIENTS).split(',')).toContain(
        `${String(env.PROOF_CLIENT_ID)}:${String(env.PROOF_CLIENT_SECRET)}`,
      );
    }
  });

  it('docker-compose.proof.yml swaps the emulator for a Proof environment and a secret file, on every broker', () => {
    const proof = yaml<Compose & { secrets: Record<string, { file: string }> }>('docker-compose.proof.yml');
    expect(Object.keys(proof.services).sort()).toEqual(brokers.map(([name]) => name).sort());
    for (const service of Object.values(proof.services)) {
      const env = envOf(service);
      expect(env).toMatchObject({ PROOF_BASE_URL: '', PROOF_CLIENT_SECRET: '' });
      expect(env.PROOF_CLIENT_SECRET_FILE).toBe('/run/secrets/proof_client_secret');
    }
    expect(Object.keys(proof.secrets)).toEqual(['proof_client_secret']);
  });
});

describe('docker/prometheus.yml', () => {
  it('scrapes /metrics on every broker service', () => {
    const config = yaml<{
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    }>('prometheus.yml');
    const job = config.scrape_configs.find((c) => c.job_name === 'broker')!;
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    const targets = job.static_configs.flatMap((c) => c.targets).sort();
    expect(targets).toEqual(brokers.map(([name, s]) => `${name}:${String(envOf(s).PORT)}`).sort());
  });
});

describe('Grafana provisioning and the token broker dashboard', () => {
  interface Panel {
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string; datasource?: { uid: string } }[];
    panels?: Panel[];
  }
  const dashboard = JSON.parse(text('grafana/dashboards/token-broker.json')) as { uid: string; panels: Panel[] };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('only queries the broker metrics, and queries each of them', () => {
    const queried = exprs.flatMap(metricNames);
    expect(queried.filter((m) => !QUERYABLE.has(m))).toEqual([]);
    expect(BROKER_METRICS.filter((m) => !queried.some((q) => q === m || q.startsWith(`${m}_`)))).toEqual([]);
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNames('histogram_quantile(0.9, sum by (le, profile) (rate(a_bucket{x="y"}[$__rate_interval]))) / b'),
    ).toEqual(['a_bucket', 'b']);
  });

  it('lists metrics the broker really registers', async () => {
    const registered = (
      await new BrokerMetrics({ profiles: [] } as unknown as BrokerConfig).registry.getMetricsAsJSON()
    ).map((m) => m.name);
    expect(BROKER_METRICS.filter((m) => !registered.includes(m))).toEqual([]);
  });

  it('has the panels operations asked for', () => {
    const by = (metric: string) => panels.filter((p) => p.targets?.some((t) => t.expr.includes(metric))).length;
    expect(by('broker_token_ttl_seconds')).toBeGreaterThan(0);
    expect(exprs.some((e) => /rate\(broker_tokens_served_total/.test(e))).toBe(true);
    expect(exprs.some((e) => /sum by \([^)]*outcome[^)]*\) \((increase|rate)\(broker_refreshes_total/.test(e))).toBe(
      true,
    );
    expect(exprs.some((e) => /histogram_quantile\(.*broker_upstream_request_duration_seconds_bucket/.test(e))).toBe(
      true,
    );
    expect(by('broker_lock_total') * by('broker_fenced_writes_rejected_total') * by('broker_redis_up')).toBeGreaterThan(
      0,
    );
  });

  it('uses the provisioned datasource, and is loaded from where compose mounts it', () => {
    const datasources = yaml<{ datasources: { uid: string; url: string }[] }>(
      'grafana/provisioning/datasources/prometheus.yml',
    ).datasources;
    const uids = panels.flatMap((p) => [p.datasource?.uid, ...(p.targets ?? []).map((t) => t.datasource?.uid)]);
    expect([...new Set(uids.filter(Boolean))]).toEqual([datasources[0].uid]);
    expect(new URL(datasources[0].url).hostname).toBe('prometheus');

    const providers = yaml<{ providers: { options: { path: string } }[] }>(
      'grafana/provisioning/dashboards/token-broker.yml',
    ).providers;
    const mounts = compose.services.grafana.volumes ?? [];
    expect(mounts).toContain(`./grafana/dashboards:${providers[0].options.path}:ro`);
    expect(mounts).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});

describe('docker/haproxy.cfg', () => {
  it('balances over every broker service, health-checked on /health/ready', () => {
    const cfg = text('haproxy.cfg');
    const servers = [...cfg.matchAll(/^\s*server\s+(\S+)\s+(\S+):(\d+)\s.*\bcheck\b/gm)].map(
      ([, , host, port]) => `${host}:${port}`,
    );
    expect(servers.sort()).toEqual(brokers.map(([name, s]) => `${name}:${String(envOf(s).PORT)}`).sort());
    expect(cfg).toMatch(/^\s*option httpchk GET \/health\/ready$/m);
    expect(cfg).toMatch(/^\s*http-check expect status 200$/m);
  });
});

describe('docker/*.Dockerfile', () => {
  const dockerfiles = readdirSync(DOCKER).filter((f) => f.endsWith('.Dockerfile'));

  it('are there', () => {
    expect(dockerfiles.sort()).toEqual(['broker.Dockerfile', 'emulator.Dockerfile']);
  });

  it.each(dockerfiles)('%s starts with a syntax line or FROM, runs as a non-root USER, has a HEALTHCHECK', (file) => {
    const lines = text(file)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    expect(lines[0]).toMatch(/^(# syntax=|FROM )/);
    // Only the last stage is the image that runs.
    const final = lines.slice(lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
    const users = final.filter((l) => l.startsWith('USER ')).map((l) => l.split(/\s+/)[1].split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
    expect(final.some((l) => l.startsWith('HEALTHCHECK '))).toBe(true);
  });
});
