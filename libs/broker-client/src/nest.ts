// The NestJS entry ('@proof-broker/client/nest'): loads @nestjs/common, an optional peer.
export { BrokerClientModule, BROKER_CLIENT, InjectBrokerClient } from './broker-client.module';
export { BrokerClient } from './broker-client';
export { BrokerClientConfigError, BrokerClientError } from './broker-client.errors';
export type { BrokerClientOptions } from './broker-client.options';
