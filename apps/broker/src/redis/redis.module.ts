import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { REDIS_CLIENT, REDIS_SUBSCRIBER } from './redis.tokens';
import { redisOptions } from './redis-options';

function connect(url: string, name: string, offlineQueue: boolean, metrics?: BrokerMetrics): Redis {
  const logger = new Logger(`Redis:${name}`);
  const client = new Redis(url, { ...redisOptions(`token-broker-${name}`), enableOfflineQueue: offlineQueue });
  client.on('ready', () => {
    logger.log('ready');
    metrics?.redisUp.set(1);
  });
  client.on('reconnecting', () => logger.warn('reconnecting'));
  client.on('close', () => metrics?.redisUp.set(0));
  // ioredis error messages carry host:port, never the URL's password.
  client.on('error', (error: Error) => logger.error(error.message));
  return client;
}

/** Opens the command and subscriber connections, and closes them on shutdown. */
@Module({})
export class RedisModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly client: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
  ) {}

  static forRoot(url: string): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS_CLIENT,
          useFactory: (metrics: BrokerMetrics) => connect(url, 'client', false, metrics),
          inject: [BrokerMetrics],
        },
        // The subscriber queues SUBSCRIBE until connected; ioredis re-subscribes on reconnect.
        { provide: REDIS_SUBSCRIBER, useFactory: () => connect(url, 'subscriber', true) },
      ],
      exports: [REDIS_CLIENT, REDIS_SUBSCRIBER],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.client, this.subscriber].map((c) => c.quit().catch(() => c.disconnect())));
  }
}
