import type { BrokerConfig, ProfileConfig } from '../../apps/broker/src/config/broker-config';
import { loadBrokerConfig } from '../../apps/broker/src/config/load-broker-config';
import { writeCallersFile } from './broker';
import { testSecret } from './leak-ledger';

/**
 * A real, validated configuration (the schema's defaults) for unit specs: one profile,
 * `default`, on an address nothing listens on, with a long random client secret the leak
 * scan can find. `env` overrides any variable.
 */
export function unitConfig(env: NodeJS.ProcessEnv = {}): BrokerConfig {
  const secret = testSecret();
  const callers = writeCallersFile([{ name: 'reader', roles: ['token:read'], profiles: ['*'] }]);
  return loadBrokerConfig({
    PROOF_CLIENT_ID: 'unit-app',
    PROOF_CLIENT_SECRET: secret,
    PROOF_BASE_URL: 'http://127.0.0.1:9',
    BROKER_CALLERS_FILE: callers.path,
    ...env,
  });
}

export const profileOf = (config: BrokerConfig): ProfileConfig => config.profiles[0];
