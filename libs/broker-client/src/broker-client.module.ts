import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { BrokerClient } from './broker-client';
import { BROKER_CLIENT_OPTIONS, ConfigurableModuleClass } from './broker-client.module-definition';
import type { BrokerClientOptions } from './broker-client.options';

/** The injection token of the BrokerClient the module provides. */
export const BROKER_CLIENT = Symbol('BROKER_CLIENT');

/** `@InjectBrokerClient() private readonly broker: BrokerClient`. */
export const InjectBrokerClient = (): ParameterDecorator => Inject(BROKER_CLIENT);

/**
 * Provides a BrokerClient: `BrokerClientModule.forRoot({ url, keyFile })`, or
 * `forRootAsync({ inject: [ConfigService], useFactory: (config) => ({ ... }) })`. The module
 * that created the client closes it on shutdown.
 */
@Module({
  providers: [
    {
      provide: BROKER_CLIENT,
      inject: [BROKER_CLIENT_OPTIONS],
      useFactory: (options: BrokerClientOptions) => new BrokerClient(options),
    },
  ],
  exports: [BROKER_CLIENT],
})
export class BrokerClientModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(BROKER_CLIENT) private readonly client: BrokerClient) {
    super();
  }

  onApplicationShutdown(): void {
    this.client.close();
  }
}
