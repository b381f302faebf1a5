import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { startRedis, TestRedis } from '../support/redis-server';
import { ManagedProcess } from '../support/child-process';
import { recordServedToken } from '../support/leak-ledger';
import { composeServices, stopGracePeriodMs } from '../support/compose-file';
import { BROKER_IMAGE, buildImages, canBuildImages, EMULATOR_IMAGE } from '../support/images';
import {
  brokerEnv,
  ComposeSecrets,
  emulatorEnv,
  makeComposeSecrets,
  startService,
  writeComposeHosts,
} from '../support/image-services';
import { ImageContainer, mountImage } from '../../scripts/lib/image-container';
import { runHealthcheck } from '../../scripts/lib/chroot-process';

// Building needs buildah and mmdebstrap (.ci/run installs both): without them, say so and skip.
const buildable = canBuildImages();
if (!buildable)
  console.warn('test/ship skipped: buildah or mmdebstrap is missing (apt-get install -y buildah mmdebstrap)');
const describeImages = buildable ? describe : describe.skip;

const BUILD_TIMEOUT_MS = 30 * 60_000;
const services = composeServices();

/** The uid a running process has, from /proc (what `ps` would show). */
const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describeImages('the broker and emulator images, run as compose runs them', () => {
  let redis: TestRedis;
  let broker: ImageContainer;
  let emulator: ImageContainer;
  let secrets: ComposeSecrets;
  let brokerRun: { env: Record<string, string> };
  let emulatorRun: { env: Record<string, string> };
  let brokerProcess: ManagedProcess;
  let emulatorProcess: ManagedProcess;
  let brokerUrl: string;
  let emulatorUrl: string;

  beforeAll(async () => {
    const built = await buildImages();
    console.log(built.output.trim());
    expect(built.images.map((image) => image.name).sort()).toEqual([BROKER_IMAGE, EMULATOR_IMAGE].sort());
    redis = await startRedis();
    secrets = makeComposeSecrets();
    emulator = mountImage(EMULATOR_IMAGE, 'emulator');
    broker = mountImage(BROKER_IMAGE, 'broker1');
    writeComposeHosts(broker, ['redis', 'emulator', 'broker1']);

    const [emulatorPort, brokerPort] = [await freePort(), await freePort()];
    emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    emulatorRun = { env: emulatorEnv(services.emulator, emulatorPort, secrets) };
    // The emulator's own HEALTHCHECK target: 401 to an unauthenticated token/info.
    emulatorProcess = await startService(emulator, 'emulator', emulatorRun, `${emulatorUrl}/oauth/v2/token/info`, 401);

    brokerUrl = `http://127.0.0.1:${brokerPort}`;
    const ports = { broker: brokerPort, redis: redis.port, emulator: emulatorPort };
    brokerRun = { env: brokerEnv(broker, services.broker1, ports, secrets) };
    brokerProcess = await startService(broker, 'broker1', brokerRun, `${brokerUrl}/health/ready`);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await brokerProcess?.stop('SIGKILL');
    await emulatorProcess?.stop('SIGKILL');
    broker?.remove();
    emulator?.remove();
    await redis?.stop();
  });

  it('runs both CMDs as the non-root USER node (uid 1000)', () => {
    for (const [container, child] of [
      [broker, brokerProcess],
      [emulator, emulatorProcess],
    ] as const) {
      expect(container.config.user).toBe('node');
      expect(container.uid).toBe(1000);
      expect(uidOf(child.child.pid!)).toBe(1000);
    }
  });

  it('serves /health/ready and GET /token (a token from the emulator, through Redis)', async () => {
    expect((await fetch(`${brokerUrl}/health/ready`)).status).toBe(200);
    const response = await fetch(`${brokerUrl}/token`, { headers: { authorization: `Bearer ${secrets.callerKey}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    recordServedToken(body.access_token);
    expect(body.access_token.length).toBeGreaterThan(20);
    expect(body.expires_in).toBeGreaterThan(7_000);
    // The token record went to the Redis the compose environment names (through its host name).
    expect((await redis.client().keys('*')).length).toBeGreaterThan(0);
  });

  it("passes each image's HEALTHCHECK, run inside the container as its USER", async () => {
    expect(await runHealthcheck(broker, brokerRun)).toBe(0);
    expect(await runHealthcheck(emulator, emulatorRun)).toBe(0);
  });

  it('exits 0 on SIGTERM within the compose stop grace period, after which the HEALTHCHECK fails', async () => {
    for (const [name, child, container, run] of [
      ['broker1', brokerProcess, broker, brokerRun],
      ['emulator', emulatorProcess, emulator, emulatorRun],
    ] as const) {
      const grace = stopGracePeriodMs(services[name]);
      const started = Date.now();
      const code = await child.stop('SIGTERM', grace);
      const took = Date.now() - started;
      console.log(`${name}: SIGTERM to exit ${code} in ${took} ms (grace ${grace} ms)`);
      expect({ name, code }).toEqual({ name, code: 0 });
      expect(took).toBeLessThan(grace);
      expect(await runHealthcheck(container, run)).not.toBe(0);
    }
  }, 40_000);

  it("serves as well without node_modules/typescript, which only @nestjs/swagger's build-time plugin loads", async () => {
    const lean = mountImage(BROKER_IMAGE, 'broker-without-typescript');
    let child: ManagedProcess | undefined;
    try {
      const typescript = join(lean.root, 'app/node_modules/typescript');
      // --omit=dev keeps it: the lock file marks it devOptional (an optional peer of @nestjs/swagger).
      expect(existsSync(join(typescript, 'package.json'))).toBe(true);
      rmSync(typescript, { recursive: true });
      writeComposeHosts(lean, ['redis', 'emulator']);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const ports = { broker: port, redis: redis.port, emulator: Number(new URL(emulatorUrl).port) };
      child = await startService(
        lean,
        'broker2',
        { env: brokerEnv(lean, services.broker2, ports, secrets) },
        `${url}/health/ready`,
      );
      const auth = { authorization: `Bearer ${secrets.callerKey}` };
      const token = await fetch(`${url}/token`, { headers: auth });
      expect(token.status).toBe(200);
      recordServedToken(((await token.json()) as { access_token: string }).access_token);
      // The OpenAPI document is built on first request: all of swagger's runtime code runs.
      const docs = await fetch(`${url}/docs-json`);
      expect(docs.status).toBe(200);
      expect(((await docs.json()) as { paths: Record<string, unknown> }).paths).toHaveProperty('/token');
      expect(await child.stop('SIGTERM', 15_000)).toBe(0);
    } finally {
      await child?.stop('SIGKILL');
      lean.remove();
    }
  }, 60_000);
});
