import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { BrokerConfig } from './broker-config';
import { LiveConfig } from './live-config.service';

export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
export const InjectBrokerConfig = (): PropertyDecorator & ParameterDecorator => Inject(BROKER_CONFIG);

/** Provides the validated, typed configuration; `main.ts` loads it once from the environment. */
@Global()
@Module({})
export class BrokerConfigModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: BrokerConfigModule,
      providers: [
        { provide: BROKER_CONFIG, useValue: config },
        // What a reload may change (callers, client secrets) is read from LiveConfig instead.
        { provide: LiveConfig, useFactory: () => new LiveConfig(config) },
      ],
      exports: [BROKER_CONFIG, LiveConfig],
    };
  }
}
