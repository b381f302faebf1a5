import type { BrokerConfig, ProfileConfig } from './broker-config';

/**
 * The configuration as last (re)loaded. What a reload may change (callers, client secrets)
 * is read from here on every use, never kept from boot. ConfigReloader swaps the whole
 * object in one assignment: a synchronous step sees one version, and a token request that
 * already started keeps the secrets it started with. Provided by BrokerConfigModule (a
 * factory: no import back into the module).
 */
export class LiveConfig {
  private config: BrokerConfig;
  private secrets: ReadonlyMap<string, readonly string[]>;

  constructor(boot: BrokerConfig) {
    this.config = boot;
    this.secrets = secretsByProfile(boot);
  }

  get current(): BrokerConfig {
    return this.config;
  }

  /** The profile's client secrets as last loaded, in order of preference. */
  clientSecretsOf(profile: ProfileConfig): readonly string[] {
    return this.secrets.get(profile.name) ?? profile.clientSecrets;
  }

  /** Only ConfigReloader calls this, with a validated config whose profile set is unchanged. */
  replace(next: BrokerConfig): void {
    this.secrets = secretsByProfile(next);
    this.config = next;
  }
}

const secretsByProfile = (config: BrokerConfig): ReadonlyMap<string, readonly string[]> =>
  new Map(config.profiles.map((profile) => [profile.name, profile.clientSecrets]));
