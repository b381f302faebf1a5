import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { RedisTopology } from '../config/broker-config';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { connectRedis } from './redis-connect';
import { closeRedis } from './redis-revival';
import { REDIS_CLIENT, REDIS_SUBSCRIBER, type RedisClient } from './redis.tokens';

/** Opens the command and subscriber connections, and closes them on shutdown. */
@Module({})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly client: RedisClient,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: RedisClient,
  ) {}

  static forRoot(topology: RedisTopology): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS_CLIENT,
          useFactory: (metrics: BrokerMetrics) => connectRedis(topology, 'client', false, metrics),
          inject: [BrokerMetrics],
        },
        // The subscriber queues SUBSCRIBE until connected; ioredis re-subscribes on reconnect.
        { provide: REDIS_SUBSCRIBER, useFactory: () => connectRedis(topology, 'subscriber', true) },
      ],
      exports: [REDIS_CLIENT, REDIS_SUBSCRIBER],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.client, this.subscriber].map(closeRedis));
  }
}
