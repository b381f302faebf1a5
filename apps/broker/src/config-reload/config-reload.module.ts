import { DynamicModule, Module } from '@nestjs/common';
import { ConfigFileWatcher } from './config-file-watcher';
import { BROKER_CONFIG_SOURCE, BrokerConfigSource, ConfigReloader } from './config-reloader.service';

/**
 * Reloads callers and client secrets on SIGHUP and file changes. Without a source (a config
 * built in code, as some tests do) there is nothing to re-read: no watcher, no SIGHUP handler.
 */
@Module({})
export class ConfigReloadModule {
  static forRoot(source: BrokerConfigSource | undefined): DynamicModule {
    if (!source) return { module: ConfigReloadModule };
    return {
      module: ConfigReloadModule,
      providers: [{ provide: BROKER_CONFIG_SOURCE, useValue: source }, ConfigFileWatcher, ConfigReloader],
    };
  }
}
