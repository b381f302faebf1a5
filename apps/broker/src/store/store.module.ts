import { DynamicModule, Module } from '@nestjs/common';
import type { BrokerConfig, RedisTopology } from '../config/broker-config';
import { BROKER_CONFIG } from '../config/broker-config.module';
import { TokenCipher } from '../crypto/token-cipher';
import { RedisModule } from '../redis/redis.module';
import { MemoryTokenStore } from './memory-token-store';
import { RedisTokenStore } from './redis-token-store';
import { TokenStore } from './token-store';
import { MemoryVerdictStore } from './memory-verdict-store';
import { RedisVerdictStore } from './redis-verdict-store';
import { VerdictStore } from './verdict-store';

/** Redis when a URL is configured, else the embedded single-replica store; global: every token feature uses it. */
@Module({})
export class StoreModule {
  static forRoot(redis: RedisTopology | undefined): DynamicModule {
    if (!redis) {
      return {
        module: StoreModule,
        global: true,
        providers: [
          { provide: TokenStore, useClass: MemoryTokenStore },
          { provide: VerdictStore, useClass: MemoryVerdictStore },
        ],
        exports: [TokenStore, VerdictStore],
      };
    }
    return {
      module: StoreModule,
      global: true,
      imports: [RedisModule.forRoot(redis)],
      providers: [
        { provide: TokenStore, useClass: RedisTokenStore },
        { provide: VerdictStore, useClass: RedisVerdictStore },
        {
          provide: TokenCipher,
          useFactory: (config: BrokerConfig) => new TokenCipher(config.encryptionKeys),
          inject: [BROKER_CONFIG],
        },
      ],
      exports: [TokenStore, VerdictStore],
    };
  }
}
