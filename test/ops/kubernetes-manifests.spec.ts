import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll, YAML11_SCHEMA } from 'js-yaml';
import { HealthController } from '../../apps/broker/src/health/health.controller';
import { BROKER_ENV_KEYS, BrokerEnv } from '../../apps/broker/src/config/broker-env.schema';
import { validateObject } from '../../apps/broker/src/config/validate-object';
import { Manifest, readKustomization, renderKustomization, strategicMerge } from '../support/kustomize-render';
import { k8sSchemaProblems } from '../support/kubernetes-schemas';

const KUBERNETES = join(__dirname, '..', '..', 'docker', 'kubernetes');
const BASE = join(KUBERNETES, 'base');
const OVERLAY = join(KUBERNETES, 'overlays', 'example');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: Probe;
  livenessProbe: Probe;
  startupProbe: Probe;
  lifecycle: { preStop: { exec: { command: string[] } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number };
  topologySpreadConstraints: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
}
type Spec<T> = Manifest & { spec: T };
type Deployment = Spec<{ replicas: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }>;

const base = readKustomization(BASE);
const rendered = renderKustomization(OVERLAY);
const one = <T>(kind: string, objects = rendered) => objects.find((o) => o.kind === kind) as T;
const deployment = one<Deployment>('Deployment');
const pod = deployment.spec.template.spec;
const broker = pod.containers[0];
const env = new Map(broker.env.map((e) => [e.name, e]));
const literal = Object.fromEntries(broker.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
const settings = validateObject(BrokerEnv, literal, 'deployment env').value;
const podLabels = deployment.spec.template.metadata.labels;
const selects = (selector: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => podLabels[key] === value);
const portNamed = (port: string | number) =>
  broker.ports.find((p) => p.name === port || p.containerPort === port)?.containerPort;

describe('docker/kubernetes: kustomize base and example overlay', () => {
  it('lists every base manifest in the base kustomization, and only those', () => {
    const files = readdirSync(BASE).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...(base.resources ?? [])].sort()).toEqual(files.sort());
  });

  it.each([
    ['base', () => renderKustomization(BASE)],
    ['overlay', () => rendered],
  ])('%s: every object validates against the Kubernetes and Prometheus Operator schemas', (_, objects) => {
    const all = objects();
    expect(all.map((o) => o.kind).sort()).toEqual(
      [
        'Deployment',
        'HorizontalPodAutoscaler',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PrometheusRule',
        'Service',
        'ServiceMonitor',
      ].sort(),
    );
    expect(all.flatMap(k8sSchemaProblems)).toEqual([]);
  });

  it('reports a schema violation and an unknown field (the validation can fail)', () => {
    const broken = structuredClone(deployment) as unknown as { spec: Record<string, unknown> };
    broken.spec.replicas = 'three';
    broken.spec.templat = {};
    const problems = k8sSchemaProblems(broken as unknown as Manifest);
    expect(problems.some((p) => p.includes('/spec/replicas'))).toBe(true);
    expect(problems.some((p) => p.includes('templat'))).toBe(true);
  });

  it('merges patches as kustomize does: maps deeply, named lists by name, other lists replaced', () => {
    const merged = strategicMerge(
      {
        a: { b: 1, c: 2 },
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
        args: ['-a', '-b'],
      },
      {
        a: { c: 3 },
        env: [
          { name: 'Y', value: '3' },
          { name: 'Z', value: '4' },
        ],
        args: ['-c'],
      },
    );
    expect(merged).toEqual({
      a: { b: 1, c: 3 },
      env: [
        { name: 'X', value: '1' },
        { name: 'Y', value: '3' },
        { name: 'Z', value: '4' },
      ],
      args: ['-c'],
    });
    expect(() => strategicMerge({ a: { b: 1 } }, { a: { $patch: 'delete' } })).toThrow('$patch');
  });

  const kubectl = (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // kubectl is not a Debian or npm package this project can install; where it is, it checks the renderer.
  (kubectl ? it : it.skip)('renders the overlay as `kubectl kustomize` does', () => {
    const theirs = loadAll(execFileSync('kubectl', ['kustomize', OVERLAY]).toString(), null, {
      schema: YAML11_SCHEMA,
    });
    const key = (o: Manifest) => `${o.kind}/${o.metadata.name}`;
    const sorted = (objects: Manifest[]) => [...objects].sort((a, b) => key(a).localeCompare(key(b))).map(normalize);
    expect(sorted(rendered)).toEqual(sorted(theirs as Manifest[]));
  });

  it('applies the overlay: namespace, image and the patched env merged by name', () => {
    expect(new Set(rendered.map((o) => o.metadata.namespace))).toEqual(new Set(['token-broker']));
    expect(broker.image).toBe('registry.example.com/platform/proof-token-broker:0.1.0');
    expect(literal.PROOF_ENVIRONMENT).toBe('fairfax');
    expect(literal.REDIS_URL).toBe('redis://redis:6379');
  });
});

/** Lists of named items in name order, as strategic merge keeps no order kubectl promises. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize);
    const names = items.map((i) => (i as { name?: unknown })?.name);
    return names.every((n) => typeof n === 'string')
      ? items.sort((a, b) => String((a as { name: string }).name).localeCompare((b as { name: string }).name))
      : items;
  }
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
}

describe('docker/kubernetes: the Deployment matches the broker', () => {
  it('sets only variables of the config schema, with values it accepts', () => {
    expect([...env.keys()].filter((name) => !BROKER_ENV_KEYS.includes(name))).toEqual([]);
    expect(validateObject(BrokerEnv, literal, 'deployment env').problems).toEqual([]);
  });

  it('probes routes the app serves, on the port it listens on', () => {
    const route = (method: keyof HealthController) =>
      `/${String(Reflect.getMetadata('path', HealthController))}/${String(
        Reflect.getMetadata('path', HealthController.prototype[method]),
      )}`;
    expect(broker.readinessProbe.httpGet.path).toBe(route('ready'));
    expect(broker.livenessProbe.httpGet.path).toBe(route('live'));
    expect(broker.startupProbe.httpGet.path).toBe(route('live'));
    for (const probe of [broker.readinessProbe, broker.livenessProbe, broker.startupProbe]) {
      expect(portNamed(probe.httpGet.port)).toBe(settings.PORT);
    }
  });

  it('gives the kubelet time for the preStop, the shutdown delay and the longest in-flight work', () => {
    const [command, seconds] = broker.lifecycle.preStop.exec.command;
    expect(command).toBe('sleep');
    const drainMs = Math.max(settings.BROKER_UPSTREAM_TIMEOUT_MS, settings.BROKER_COLD_WAIT_MS);
    const neededMs = Number(seconds) * 1000 + settings.BROKER_SHUTDOWN_DELAY_MS + drainMs;
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(neededMs);
    expect(settings.BROKER_SHUTDOWN_DELAY_MS).toBeGreaterThan(0);
  });

  it('runs 3 non-root replicas on a read-only root, with resources, spread over nodes', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    // The image names its user (USER node): the kubelet can only check non-root with a numeric
    // uid, which is 1000 for node in the node:20 images.
    const dockerfile = readFileSync(join(KUBERNETES, '..', 'broker.Dockerfile'), 'utf8');
    expect(/^USER (\S+)$/m.exec(dockerfile)?.[1]).toBe('node');
    expect(pod.securityContext.runAsUser).toBe(1000);
    expect(broker.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(Object.keys(broker.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(broker.resources.limits.memory).toBeDefined();
    const spread = pod.topologySpreadConstraints.find((c) => c.topologyKey === 'kubernetes.io/hostname');
    expect(spread && selects(spread.labelSelector.matchLabels)).toBe(true);
  });

  it('reads callers, the client secret and the encryption keys from Secrets mounted as directories', () => {
    for (const name of ['BROKER_CALLERS_FILE', 'PROOF_CLIENT_SECRET_FILE', 'BROKER_ENCRYPTION_KEYS_FILE']) {
      const path = env.get(name)?.value ?? '';
      const mount = broker.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
      // subPath mounts never see the kubelet's symlink swap: an updated Secret would go unnoticed.
      expect({ name, subPath: mount?.subPath }).toEqual({ name, subPath: undefined });
      expect(pod.volumes.find((v) => v.name === mount?.name)?.secret?.secretName).toMatch(/^proof-token-broker-/);
    }
    expect(env.get('PROOF_CLIENT_SECRET')).toBeUndefined();
    expect(env.get('PROOF_CLIENT_ID')?.valueFrom?.secretKeyRef?.name).toBe('proof-token-broker-proof');
  });
});

describe('docker/kubernetes: Service, PDB, HPA, NetworkPolicy and ServiceMonitor fit the Deployment', () => {
  type Port = { name: string; port: number; targetPort: string };
  const service = one<Spec<{ selector: Record<string, string>; ports: Port[] }>>('Service');

  it('routes the Service to the pods’ http port, and the ServiceMonitor to the Service', () => {
    expect(selects(service.spec.selector)).toBe(true);
    expect(portNamed(service.spec.ports[0].targetPort)).toBe(settings.PORT);
    const monitor =
      one<Spec<{ selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] }>>(
        'ServiceMonitor',
      );
    expect(
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels?.[k] === v),
    ).toBe(true);
    expect(monitor.spec.endpoints.map((e) => [e.port, e.path])).toEqual([[service.spec.ports[0].name, '/metrics']]);
  });

  it('keeps at least 2 replicas through disruptions and autoscales the Deployment from 3', () => {
    const pdb =
      one<Spec<{ maxUnavailable: number; selector: { matchLabels: Record<string, string> } }>>('PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(deployment.spec.replicas - pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(2);
    const hpa =
      one<Spec<{ scaleTargetRef: { kind: string; name: string }; minReplicas: number }>>('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBe(deployment.spec.replicas);
  });

  it('lets in only labelled caller namespaces and monitoring; lets out Redis, DNS and HTTPS', () => {
    type Peer = { namespaceSelector?: { matchLabels: Record<string, string> }; ipBlock?: { cidr: string } };
    type Rule = { from?: Peer[]; to?: Peer[]; ports: { port: string | number; protocol: string }[] };
    const policy =
      one<Spec<{ podSelector: { matchLabels: Record<string, string> }; ingress: Rule[]; egress: Rule[] }>>(
        'NetworkPolicy',
      );
    expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
    const sources = policy.spec.ingress.flatMap((r) => (r.from ?? []).map((p) => p.namespaceSelector?.matchLabels));
    expect(sources).toEqual([{ 'proof-token-broker/caller': 'true' }, { 'kubernetes.io/metadata.name': 'monitoring' }]);
    for (const rule of policy.spec.ingress) expect(rule.ports.map((p) => portNamed(p.port))).toEqual([settings.PORT]);
    const out = policy.spec.egress.flatMap((r) => r.ports.map((p) => `${p.port}/${p.protocol}`)).sort();
    const redisPort = new URL(String(settings.REDIS_URL)).port || '6379';
    expect(out).toEqual([`${redisPort}/TCP`, '443/TCP', '53/TCP', '53/UDP'].sort());
  });
});
