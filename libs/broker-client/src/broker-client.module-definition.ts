import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { BrokerClientOptions } from './broker-client.options';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: BROKER_CLIENT_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<BrokerClientOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
