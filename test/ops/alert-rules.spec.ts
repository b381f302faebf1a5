import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load, YAML11_SCHEMA } from 'js-yaml';
import { BrokerEnv } from '../../apps/broker/src/config/broker-env.schema';
import { assertPrometheusInstalled } from '../support/prometheus';

const ROOT = join(__dirname, '..', '..');
const ALERTS = join(ROOT, 'docker', 'broker-alerts.yml');
const RULE = join(ROOT, 'docker', 'kubernetes', 'base', 'prometheus-rule.yaml');
const yaml = <T>(path: string) => load(readFileSync(path, 'utf8'), { schema: YAML11_SCHEMA }) as T;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}
interface Rules {
  groups: { name: string; rules: Rule[] }[];
}
const alerts = yaml<Rules>(ALERTS);
const rule = (name: string) => alerts.groups.flatMap((g) => g.rules).find((r) => r.alert === name)!;
const seconds = (duration = '0s') =>
  [...duration.matchAll(/(\d+)([hms])/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit]!,
    0,
  );

/** The PrometheusRule the Prometheus Operator needs: the same groups under spec. */
function prometheusRule(): string {
  const doc = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'proof-token-broker', labels: { 'app.kubernetes.io/name': 'proof-token-broker' } },
    spec: alerts,
  };
  return (
    '# Generated from docker/broker-alerts.yml (the one copy of the rules): edit that file, then\n' +
    '# regenerate this one (the command is in test/ops/alert-rules.spec.ts, which fails while they differ).\n' +
    dump(doc, { lineWidth: -1 })
  );
}

describe('docker/broker-alerts.yml', () => {
  beforeAll(() => assertPrometheusInstalled());

  it('passes promtool check rules and its unit tests (promtool test rules)', () => {
    const run = (args: string[]) => {
      try {
        return execFileSync('promtool', args, { cwd: ROOT, stdio: 'pipe' }).toString();
      } catch (error) {
        const { stdout, stderr } = error as { stdout: Buffer; stderr: Buffer };
        throw new Error(`promtool ${args.join(' ')} failed:\n${String(stdout)}${String(stderr)}`);
      }
    };
    expect(run(['check', 'rules', ALERTS])).toContain('SUCCESS: 8 rules found');
    expect(run(['test', 'rules', 'test/ops/broker-alerts.test.yml'])).toContain('SUCCESS');
  });

  it('has the alerts operations asked for, each unit-tested firing', () => {
    const names = alerts.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names.sort()).toEqual(
      [
        'BrokerClockSkew',
        'BrokerLogLinesDropped',
        'BrokerNoReplicaReady',
        'BrokerPermanentFailureHold',
        'BrokerRedisUnreachable',
        'BrokerRefreshFailing',
        'BrokerRejectionStorm',
        'BrokerTokenPastRefreshPoint',
      ].sort(),
    );
    type Case = { alertname: string; exp_alerts: unknown[] };
    const tests = yaml<{ tests: { alert_rule_test: Case[] }[] }>(join(__dirname, 'broker-alerts.test.yml')).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test);
    const firing = new Set(cases.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname));
    expect(names.filter((n) => !firing.has(n) || !quiet.has(n))).toEqual([]);
  });

  it('puts its thresholds where the default settings and Proof’s 7200 s tokens put them', () => {
    const env = new BrokerEnv();
    const lifetime = 7200;
    const refreshPoint = Math.round(lifetime * (1 - env.BROKER_REFRESH_AT_FRACTION));
    expect(rule('BrokerTokenPastRefreshPoint').expr).toBe(`broker_token_ttl_seconds < ${refreshPoint}`);
    expect(seconds(rule('BrokerTokenPastRefreshPoint').for)).toBeGreaterThanOrEqual(
      lifetime * env.BROKER_REFRESH_JITTER_FRACTION,
    );
    expect(rule('BrokerNoReplicaReady').expr).toContain(`>= ${env.BROKER_MIN_TTL_SECONDS})`);
    // The window must span a whole hold, or the alert would drop while refreshes are held off.
    const window = Number(/\[(\d+)m\]/.exec(rule('BrokerPermanentFailureHold').expr)?.[1]) * 60;
    expect(window * 1000).toBeGreaterThan(env.BROKER_PERMANENT_FAILURE_HOLD_MS);
  });

  it('is the rule file of compose’s Prometheus, mounted beside prometheus.yml', () => {
    const config = yaml<{ rule_files: string[] }>(join(ROOT, 'docker', 'prometheus.yml'));
    expect(config.rule_files).toEqual(['broker-alerts.yml']);
    const compose = yaml<{ services: { prometheus: { volumes: string[] } } }>(
      join(ROOT, 'docker', 'docker-compose.yml'),
    );
    expect(compose.services.prometheus.volumes).toEqual(
      expect.arrayContaining([
        './prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './broker-alerts.yml:/etc/prometheus/broker-alerts.yml:ro',
      ]),
    );
  });

  // To regenerate: UPDATE_PROMETHEUS_RULE=1 npx jest test/ops/alert-rules.spec.ts
  it('is what the PrometheusRule of docker/kubernetes carries', () => {
    if (process.env.UPDATE_PROMETHEUS_RULE === '1') writeFileSync(RULE, prometheusRule());
    expect(yaml<{ spec: Rules }>(RULE).spec).toEqual(alerts);
    expect(readFileSync(RULE, 'utf8')).toBe(prometheusRule());
  });
});
