import type { AddressInfo } from 'node:net';
import type { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DateSkewService } from './admin/date-skew.service';
import { EmulatorOptions, resolveEmulatorConfig } from './config/emulator-options';
import { EmulatorModule } from './emulator.module';
import { MAX_BODY_BYTES, registerRawBodyParser } from './http/raw-body.parser';
import { registerFidelityRoutes } from './fidelity/fidelity-routes';
import { TokenRegistryService } from './oauth/token-registry.service';

export interface StartedEmulator {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export type StartEmulatorOptions = EmulatorOptions & {
  /** Nest's logger: off by default; `true` for all levels, or the levels to keep. */
  readonly logger?: boolean | LogLevel[];
};

/**
 * Starts the emulator on `host:port` (port 0, the default here, lets the OS choose) and
 * resolves once it accepts connections. Used by main.ts and, in-process, by the tests.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<StartedEmulator> {
  const config = resolveEmulatorConfig(options);
  const logger = options.logger === true ? undefined : (options.logger ?? false);
  const app = await NestFactory.create<NestFastifyApplication>(
    EmulatorModule.forRoot(config),
    new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES }),
    { bodyParser: false, ...(logger === undefined ? {} : { logger }) },
  );
  registerRawBodyParser(app.getHttpAdapter().getInstance());
  // Test-only resource endpoints (a proxy's fidelity), with the admin API only.
  if (config.admin) registerFidelityRoutes(app.getHttpAdapter().getInstance(), app.get(TokenRegistryService));
  // Clock skew set through the admin API (PUT /_emulator/clock): Node sends its own Date otherwise.
  if (config.admin) {
    const skew = app.get(DateSkewService);
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onSend', (_request, reply, payload, done) => {
        const date = skew.header();
        if (date !== undefined) void reply.header('date', date);
        done(null, payload);
      });
  }
  await app.listen(config.port, config.host);
  const port = listeningPort(app.getHttpServer().address());
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}

function listeningPort(address: AddressInfo | string | null): number {
  if (address === null || typeof address === 'string') throw new Error('proof-emulator is not listening on TCP');
  return address.port;
}
