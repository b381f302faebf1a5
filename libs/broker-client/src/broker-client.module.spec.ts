import { randomBytes } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BrokerClient } from './broker-client';
import { BrokerClientModule, InjectBrokerClient } from './broker-client.module';

const KEY = `key-${randomBytes(24).toString('base64url')}`;

@Injectable()
class Consumer {
  constructor(@InjectBrokerClient() readonly broker: BrokerClient) {}
}

@Module({ providers: [{ provide: 'BROKER_URL', useValue: 'http://127.0.0.1:1' }], exports: ['BROKER_URL'] })
class SettingsModule {}

describe('BrokerClientModule', () => {
  it('builds the client from an async factory with injected settings, and closes it on shutdown', async () => {
    const requested: string[] = [];
    const fetch = ((url: URL) => {
      requested.push(url.href);
      return Promise.resolve(Response.json({ access_token: 'from-broker', expires_in: 60, refresh_in: 30 }));
    }) as unknown as typeof globalThis.fetch;
    const moduleRef = await Test.createTestingModule({
      imports: [
        BrokerClientModule.forRootAsync({
          imports: [SettingsModule],
          inject: ['BROKER_URL'],
          useFactory: (url: string) => ({ url, key: KEY, profile: 'billing', fetch }),
        }),
      ],
      providers: [Consumer],
    }).compile();
    const app = await moduleRef.init();
    const { broker } = app.get(Consumer);
    expect(await broker.getToken()).toBe('from-broker');
    expect(requested).toEqual(['http://127.0.0.1:1/token?profile=billing']);
    await app.close();
    await expect(broker.getToken()).resolves.toBe('from-broker');
    // Closed: past the cache, nothing more is asked.
    await expect(broker.tokenRejected('from-broker')).rejects.toMatchObject({ code: 'client_closed' });
  });

  it('forRoot takes the options directly', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [BrokerClientModule.forRoot({ url: 'https://broker.example', key: KEY })],
      providers: [Consumer],
    }).compile();
    expect(moduleRef.get(Consumer).broker).toBeInstanceOf(BrokerClient);
  });
});
