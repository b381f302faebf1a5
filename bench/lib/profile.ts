// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by area (package) and by function.
import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, the broker's own code, Node internals, or V8. */
function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/apps/')) return 'broker code';
  return url;
}

export function summarizeProfile(path: string, top = 15): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let busy = 0;
  for (const [id, us] of self) {
    const frame = frames.get(id);
    if (!frame || frame.functionName === '(idle)') continue;
    busy += us;
    const where = area(frame.url, frame.functionName);
    add(byArea, where, us);
    add(
      byFunction,
      `${frame.functionName || '(anonymous)'} ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`,
      us,
    );
  }
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)} %  ${name}`);
  return [
    `busy (non-idle) CPU: ${(busy / 1e6).toFixed(1)} s`,
    'self time by area:',
    ...rank(byArea),
    'self time by function:',
    ...rank(byFunction),
  ].join('\n');
}
