import { Inject } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';

/** A single Redis, a Sentinel-managed primary (also `Redis`) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
/** A second connection: a subscribed ioredis client can run no other command. */
export const REDIS_SUBSCRIBER = Symbol('REDIS_SUBSCRIBER');
export const InjectRedis = (): PropertyDecorator & ParameterDecorator => Inject(REDIS_CLIENT);
