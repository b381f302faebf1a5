import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';

/**
 * Validation of manifests against the Kubernetes OpenAPI schemas (kubernetes-models) and the
 * Prometheus Operator's CRD schemas (@kubernetes-models/prometheus-operator): types, required
 * fields, enums and patterns. Those validators let unknown fields through (so does the API
 * server, silently dropping them), so a misspelt field is caught here by name: every key must
 * be a field of some Kubernetes type, except inside free-form maps.
 */
type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};
/** Fields whose keys are the user's: labels, selectors, resource names. */
const FREE_FORM = new Set(['labels', 'annotations', 'matchLabels', 'selector', 'requests', 'limits']);

const declarations = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : declarations(path);
    return entry.endsWith('.d.ts') ? [readFileSync(path, 'utf8')] : [];
  });

let known: Set<string> | undefined;
function knownFields(): Set<string> {
  const roots = ['kubernetes-models', '@kubernetes-models/apimachinery', '@kubernetes-models/prometheus-operator'];
  known ??= new Set(
    roots
      .flatMap((root) => declarations(join(require.resolve(`${root}/package.json`), '..')))
      .flatMap((text) => [...text.matchAll(/^\s+"?([\w$-]+)"?\??: /gm)].map((m) => m[1])),
  );
  return known;
}

function unknownFields(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => unknownFields(item, `${path}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(knownFields().has(key) ? [] : [`${path}/${key}: not a field of any Kubernetes type`]),
    ...(FREE_FORM.has(key) ? [] : unknownFields(child, `${path}/${key}`)),
  ]);
}

/** Every problem of `manifest`, each as "Kind/name: path message"; none when it is valid. */
export function k8sSchemaProblems(manifest: {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}): string[] {
  const where = `${manifest.kind}/${manifest.metadata.name}`;
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) return [`${where}: no schema for ${manifest.apiVersion} ${manifest.kind}`];
  const problems: string[] = [];
  try {
    new Model(manifest as never).validate();
  } catch (error) {
    problems.push(...(error as Error).message.split(', ').map((line) => `${where}: ${line}`));
  }
  return [...problems, ...unknownFields(manifest, '').map((line) => `${where}: ${line}`)];
}
