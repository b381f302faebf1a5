import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** What a request listener in front of Fastify needs to answer as Fastify would. */
export interface ShortcutContext {
  /** True from Fastify's preClose on: requests then go to Fastify (503, Connection: close). */
  readonly closing: () => boolean;
  /** The client's address, through BROKER_TRUSTED_PROXIES as Fastify's trustProxy gives it. */
  readonly addressOf: (request: IncomingMessage) => string | undefined;
}

export function shortcutContext(app: NestFastifyApplication, trustedProxies: readonly string[]): ShortcutContext {
  const trust = trustedProxies.length > 0 ? proxyAddr.compile([...trustedProxies]) : undefined;
  let closing = false;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preClose', (done) => {
      closing = true;
      done();
    });
  return {
    closing: () => closing,
    addressOf: (request) => (trust ? proxyAddr(request, trust) : request.socket.remoteAddress),
  };
}
