import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll, YAML11_SCHEMA } from 'js-yaml';

/**
 * A small kustomize, for the fields docker/kubernetes uses: no kustomize binary is packaged
 * for Debian or npm. `resources` (files and directories), `namespace`, `images` and `patches`
 * (strategic merge patch files: maps merge, lists of named items merge by name, other lists
 * are replaced). Any other kustomization field is refused rather than ignored. Where kubectl
 * is installed, test/ops/kubernetes-manifests.spec.ts compares this with `kubectl kustomize`.
 */
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;
interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path: string }[];
}
type Images = NonNullable<Kustomization['images']>;
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);

// Kubernetes reads YAML 1.1 (sigs.k8s.io/yaml): 0440 is octal there, as in a file mode.
export const readManifests = (path: string): Manifest[] =>
  loadAll(readFileSync(path, 'utf8'), null, { schema: YAML11_SCHEMA }).filter(Boolean) as Manifest[];

export function readKustomization(dir: string): Kustomization {
  const [kustomization] = readManifests(join(dir, 'kustomization.yaml')) as unknown as Kustomization[];
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) throw new Error(`${dir}: kustomize-render does not do ${unsupported.join(', ')}`);
  return kustomization;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const named = (list: unknown[]): list is { name: string }[] =>
  list.every((item) => isMap(item) && typeof item.name === 'string');

export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isMap(base) && isMap(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      // $patch, $retainKeys, $setElementOrder...: directives this small merge does not do.
      if (key.startsWith('$')) throw new Error(`kustomize-render does not do the ${key} directive`);
      merged[key] = strategicMerge(base[key], value);
    }
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(patch) && named(base) && named(patch)) {
    const merged: unknown[] = base.map((item) => {
      const over = patch.find((p) => p.name === item.name);
      return over ? strategicMerge(item, over) : item;
    });
    return merged.concat(patch.filter((p) => !base.some((item) => item.name === p.name)));
  }
  return patch;
}

const imageFor = (image: unknown, images: Images) =>
  typeof image === 'string' ? images.find((i) => image === i.name || image.startsWith(`${i.name}:`)) : undefined;

/** `images`: every `image` field naming one gets its new name and tag. */
function setImages(value: unknown, images: Images): unknown {
  if (Array.isArray(value)) return value.map((item) => setImages(item, images));
  if (!isMap(value)) return value;
  const out = Object.fromEntries(Object.entries(value).map(([key, v]) => [key, setImages(v, images)]));
  const image = imageFor(out.image, images);
  if (image) out.image = `${image.newName ?? image.name}:${image.newTag ?? String(out.image).split(':')[1]}`;
  return out;
}

/** The objects `kubectl kustomize dir` would print, in resource order. */
export function renderKustomization(dir: string): Manifest[] {
  const k = readKustomization(dir);
  let objects = (k.resources ?? []).flatMap((resource) => {
    const path = join(dir, resource);
    if (!existsSync(path)) throw new Error(`${dir}: resource ${resource} does not exist`);
    return statSync(path).isDirectory() ? renderKustomization(path) : readManifests(path);
  });
  for (const { path } of k.patches ?? []) {
    for (const patch of readManifests(join(dir, path))) {
      const at = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (at < 0) throw new Error(`${join(dir, path)}: no ${patch.kind} ${patch.metadata.name} to patch`);
      objects[at] = strategicMerge(objects[at], patch) as Manifest;
    }
  }
  if (k.images) objects = objects.map((o) => setImages(o, k.images ?? []) as Manifest);
  if (k.namespace) objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  return objects;
}
