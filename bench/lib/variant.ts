// A broker variant for the studies that compare start settings side by side (`--rss --variant`,
// `--ab --head`): the shipped defaults plus node flags, environment variables and/or another
// main.js, written on the command line as one string, e.g. "arena2 MALLOC_ARENA_MAX=2",
// "hgp30 --heap-growing-percent=30", "bundle dist/broker-bundle/main.js".
import { isAbsolute, join } from 'node:path';
import { ROOT } from './processes';

export interface Variant {
  readonly name: string;
  /** Node flags after production's (the last of a repeated flag wins). */
  readonly nodeArgs: string[];
  readonly env: Record<string, string>;
  /** Another main.js; default this build's. */
  readonly main?: string;
}

export const DEFAULTS: Variant = { name: 'defaults', nodeArgs: [], env: {} };

/** "name [--flag ...] [KEY=VALUE ...] [path/to/main.js]" (a path is relative to the repository). */
export function parseVariant(spec: string): Variant {
  const [name, ...tokens] = spec.trim().split(/\s+/);
  if (!name || name.startsWith('-') || name.includes('=')) throw new Error(`variant "${spec}": name it first`);
  const nodeArgs = tokens.filter((t) => t.startsWith('--'));
  const pairs = tokens.filter((t) => !t.startsWith('--') && /^[A-Z_][A-Z0-9_]*=/.test(t));
  const mains = tokens.filter((t) => !nodeArgs.includes(t) && !pairs.includes(t));
  if (mains.length > 1) throw new Error(`variant "${spec}": more than one main.js`);
  const env = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  const main = mains[0] && (isAbsolute(mains[0]) ? mains[0] : join(ROOT, mains[0]));
  return { name, nodeArgs, env, ...(main ? { main } : {}) };
}

/** How a variant differs from the shipped defaults, for a table. */
export const describeVariant = (v: Variant): string =>
  [...v.nodeArgs, ...Object.entries(v.env).map(([k, val]) => `${k}=${val}`), ...(v.main ? [v.main] : [])]
    .map((t) => `\`${t.startsWith(ROOT) ? t.slice(ROOT.length + 1) : t}\``)
    .join(' ') || 'the shipped defaults';
