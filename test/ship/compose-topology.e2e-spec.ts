import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from '../support/child-process';
import { composeServices, stopGracePeriodMs } from '../support/compose-file';
import { promQuery, startComposeHaproxy, startComposePrometheus } from '../support/compose-host-services';
import { freePort } from '../support/free-port';
import { recordServedToken } from '../support/leak-ledger';
import { startRedis, TestRedis } from '../support/redis-server';
import { BROKER_IMAGE, buildImages, canBuildImages, EMULATOR_IMAGE } from '../support/images';
import { brokerEnv, emulatorEnv, makeComposeSecrets, startService, writeComposeHosts } from '../support/image-services';
import { waitUntil } from '../support/wait';
import { ImageContainer, mountImage } from '../../scripts/lib/image-container';

const buildable = canBuildImages();
if (!buildable)
  console.warn('test/ship skipped: buildah or mmdebstrap is missing (apt-get install -y buildah mmdebstrap)');
const describeImages = buildable ? describe : describe.skip;

const services = composeServices();
const BROKERS = Object.keys(services).filter((name) => services[name].build?.dockerfile === 'docker/broker.Dockerfile');
/** Where no stand-in exists on this machine (Debian has no Grafana package): not started, said so. */
const NOT_STOOD_IN = ['grafana'];

describeImages('the compose topology, run from the built images', () => {
  const containers: ImageContainer[] = [];
  const brokers = new Map<string, ManagedProcess>();
  const others: ManagedProcess[] = [];
  const secrets = makeComposeSecrets();
  let redis: TestRedis;
  let dir: string;
  let front: string;
  let prometheusPort: number;
  let haproxyMetrics: string;

  beforeAll(async () => {
    console.log((await buildImages()).output.trim());
    dir = mkdtempSync(join(tmpdir(), 'compose-topology-'));
    // redis:7-alpine, stood in by Debian's redis-server with the compose command's flags.
    expect(services.redis.command).toEqual(['redis-server', '--save', '', '--appendonly', 'no']);
    redis = await startRedis();

    const emulator = mountImage(EMULATOR_IMAGE, 'emulator');
    containers.push(emulator);
    const emulatorPort = await freePort();
    const emulatorRun = { env: emulatorEnv(services.emulator, emulatorPort, secrets) };
    others.push(
      await startService(
        emulator,
        'emulator',
        emulatorRun,
        `http://127.0.0.1:${emulatorPort}/oauth/v2/token/info`,
        401,
      ),
    );

    const ports = Object.fromEntries(await Promise.all(BROKERS.map(async (name) => [name, await freePort()] as const)));
    await Promise.all(
      BROKERS.map(async (name) => {
        const container = mountImage(BROKER_IMAGE, name);
        containers.push(container);
        writeComposeHosts(container, ['redis', 'emulator', ...BROKERS]);
        const env = brokerEnv(
          container,
          services[name],
          { broker: ports[name], redis: redis.port, emulator: emulatorPort },
          secrets,
        );
        brokers.set(name, await startService(container, name, { env }, `http://127.0.0.1:${ports[name]}/health/ready`));
      }),
    );

    const hostPorts = { front: await freePort(), stats: await freePort(), brokers: ports };
    front = `http://127.0.0.1:${hostPorts.front}`;
    haproxyMetrics = `http://127.0.0.1:${hostPorts.stats}/metrics`;
    others.push(await startComposeHaproxy(dir, hostPorts));
    prometheusPort = await freePort();
    others.push(await startComposePrometheus(dir, services.prometheus, prometheusPort, hostPorts));
  }, 30 * 60_000);

  afterAll(async () => {
    await Promise.all([...brokers.values(), ...others].map((child) => child.stop('SIGKILL')));
    containers.forEach((container) => container.remove());
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stands in every service but Grafana', () => {
    const stoodIn = ['redis', 'emulator', ...BROKERS, 'haproxy', 'prometheus'];
    expect(BROKERS).toHaveLength(3);
    expect(Object.keys(services).filter((name) => !stoodIn.includes(name))).toEqual(NOT_STOOD_IN);
  });

  it('serves GET /token through HAProxy, from every replica in rotation', async () => {
    const auth = { authorization: `Bearer ${secrets.callerKey}` };
    /** A HAProxy exporter value per broker server (`labels` narrow it, e.g. state="UP"), from the compose config's stats frontend. */
    const perServer = async (metric: string, labels: Record<string, string> = {}) => {
      const series = (await (await fetch(haproxyMetrics)).text())
        .split('\n')
        .filter((line) => line.startsWith(`${metric}{`))
        .map((line) => {
          const [, body, value] = /\{(.*)\} (\S+)$/.exec(line)!;
          return {
            labels: Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v])),
            value,
          };
        });
      return BROKERS.map((server) => {
        const want: Record<string, string> = { proxy: 'replicas', server, ...labels };
        const found = series.find((s) => Object.entries(want).every(([k, v]) => s.labels[k] === v));
        return Number(found?.value ?? NaN);
      });
    };
    // HAProxy marks a replica UP after 2 good readiness checks 1 s apart.
    await waitUntil(
      'every replica UP in HAProxy',
      async () => (await perServer('haproxy_server_status', { state: 'UP' })).every((v) => v === 1),
      20_000,
    );
    const before = await perServer('haproxy_server_sessions_total');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const response = await fetch(`${front}/token`, { headers: auth });
      statuses.push(response.status);
      recordServedToken(((await response.json()) as { access_token?: string }).access_token);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const after = await perServer('haproxy_server_sessions_total');
    expect(after.map((count, i) => count - before[i])).toEqual([2, 2, 2]);
  });

  it("Prometheus scrapes every replica and HAProxy's exporter with the compose prometheus.yml, and loads its rules", async () => {
    const up = () => promQuery(prometheusPort, 'up == 1');
    await waitUntil('every scrape target up', async () => (await up()).length === BROKERS.length + 1, 30_000);
    const targets = (await up()).map((r) => `${r.metric.job}/${r.metric.replica ?? '-'}`).sort();
    expect(targets).toEqual([...BROKERS.map((name) => `broker/${name}`), 'haproxy/-'].sort());
    const servers = await promQuery(prometheusPort, 'haproxy_server_status{proxy="replicas",state="UP"} == 1');
    expect(servers.map((r) => r.metric.server).sort()).toEqual(BROKERS);
    // The rule files the compose file mounts beside prometheus.yml are loaded.
    const rules = (await (await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/rules`)).json()) as {
      data: { groups: { rules: unknown[] }[] };
    };
    expect(rules.data.groups.flatMap((group) => group.rules).length).toBeGreaterThan(0);
  }, 45_000);

  it('stops every replica cleanly on SIGTERM within its stop grace period', async () => {
    const results = await Promise.all(
      BROKERS.map(async (name) => {
        const grace = stopGracePeriodMs(services[name]);
        const started = Date.now();
        const code = await brokers.get(name)!.stop('SIGTERM', grace);
        return { name, code, inGrace: Date.now() - started < grace };
      }),
    );
    expect(results).toEqual(BROKERS.map((name) => ({ name, code: 0, inGrace: true })));
  }, 40_000);
});
