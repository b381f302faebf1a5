import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderSoakMarkdown, writeSoakSection } from './soak/soak-report';
import { runSoak } from './soak/soak-run';

/**
 * `npm run soak -- --minutes N [--seed S] [--faults kind,...] [--write-doc] [--verbose] [--no-fail-open]`: 3 broker replicas behind
 * HAProxy on Redis, the emulator with 24-second tokens, services calling Proof through the
 * client library and through /proof/*, and random faults of Redis, the replicas, Proof and
 * operators for N minutes under each token policy in turn. Prints the summary and exits 1
 * when an invariant broke. --write-doc puts the summary in docs/RELIABILITY.md. --faults: only
 * the faults whose kind starts with one of those given (e.g. `redis-latency,forced-refresh`), to
 * chase one episode.
 */
const DIST = join(__dirname, '..');
const ROOT = join(DIST, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      'write-doc': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'no-fail-open': { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 24 * 60)
    throw new Error('--minutes must be from 1 to 1440');
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  const startedAt = new Date();
  const summary = await runSoak({
    brokerMain: join(DIST, 'apps/broker/src/main.js'),
    emulatorMain: join(DIST, 'apps/proof-emulator/src/main.js'),
    minutes,
    seed,
    faults: values.faults?.split(',').map((kind) => kind.trim()),
    failOpen: !values['no-fail-open'],
    log: (line) => process.stdout.write(`${line}\n`),
    onLine: values.verbose ? (source, line) => process.stdout.write(`[${source}] ${line}\n`) : undefined,
  });
  const heading = `### Soak of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (${minutes} min asked)`;
  const markdown = renderSoakMarkdown(summary, heading);
  process.stdout.write(`\n${markdown}`);
  if (values['write-doc']) {
    writeSoakSection(join(ROOT, 'docs/RELIABILITY.md'), markdown);
    process.stdout.write('written to docs/RELIABILITY.md\n');
  }
  process.exit(summary.ok ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
