// The plain Node entry: no NestJS here (that is '@proof-broker/client/nest').
export { BrokerClient } from './broker-client';
export { BrokerClientConfigError, BrokerClientError } from './broker-client.errors';
export type { BrokerClientHooks, BrokerClientOptions } from './broker-client.options';
export type { CachePolicy } from './cache-policy';
