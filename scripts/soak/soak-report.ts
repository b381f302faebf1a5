import { readFileSync, writeFileSync } from 'node:fs';
import type { SoakSummary } from './soak-verdict';

const rows = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([what, n]) => `| ${what} | ${n} |`);

function failureRows(summary: SoakSummary): string[] {
  const causes = [...new Set([...Object.keys(summary.failures.excused), ...Object.keys(summary.failures.unexcused)])];
  if (causes.length === 0) return ['No call failed.'];
  return [
    '| failed calls by cause | excused | not excused |',
    '| --- | --- | --- |',
    ...causes.map((c) => `| ${c} | ${summary.failures.excused[c] ?? 0} | ${summary.failures.unexcused[c] ?? 0} |`),
  ];
}

/** The summary as Markdown: the section `npm run soak -- --write-doc` puts in docs/RELIABILITY.md. */
export function renderSoakMarkdown(summary: SoakSummary, heading: string): string {
  const calls = summary.calls.client + summary.calls.proxy;
  return [
    heading,
    '',
    `${summary.ok ? 'Every invariant held' : '**An invariant broke**'} over ${Math.round(summary.durationS / 60)} min ` +
      `(${summary.durationS} s, seed ${summary.seed}): ${calls} calls (${summary.calls.client} through the client ` +
      `library, ${summary.calls.proxy} through /proof/*), ${calls - summary.calls.ok} failed; ` +
      `${summary.servedSamples} tokens sampled from the replicas (${summary.tokensSeen} distinct); ` +
      `${summary.upstream.requests} upstream token requests.`,
    '',
    '| invariant | held | detail |',
    '| --- | --- | --- |',
    ...summary.invariants.map((i) => `| ${i.name} | ${i.ok ? 'yes' : '**no**'} | ${i.detail} |`),
    '',
    '| fault injected | times |',
    '| --- | --- |',
    ...rows(summary.faults),
    '',
    ...failureRows(summary),
    '',
    summary.windows.length === 0
      ? 'No window without a valid token was opened.'
      : [
          '| window without a valid token (cause) | from (s) | length (s) | failed calls in it |',
          '| --- | --- | --- | --- |',
        ]
          .concat(summary.windows.map((w) => `| ${w.cause} | ${w.fromS} | ${w.durationS} | ${w.failures} |`))
          .join('\n'),
    ...(summary.notes.length ? ['', `Notes: ${[...new Set(summary.notes)].join('; ')}.`] : []),
    ...(summary.unexcusedSamples.length
      ? ['', 'First failures not excused (up to 4 per profile):', '', ...summary.unexcusedSamples.map((s) => `- ${s}`)]
      : []),
    '',
  ].join('\n');
}

export const SOAK_MARKERS = { start: '<!-- soak:start -->', end: '<!-- soak:end -->' } as const;

/** Replaces the text between the soak markers of `path` (appends them at the end if absent). */
export function writeSoakSection(path: string, markdown: string): void {
  const doc = readFileSync(path, 'utf8');
  const block = `${SOAK_MARKERS.start}\n${markdown}${SOAK_MARKERS.end}`;
  const start = doc.indexOf(SOAK_MARKERS.start);
  const end = doc.indexOf(SOAK_MARKERS.end);
  const next =
    start >= 0 && end > start
      ? doc.slice(0, start) + block + doc.slice(end + SOAK_MARKERS.end.length)
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
