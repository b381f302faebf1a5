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
  private readonly secretListeners: ((profile: string) => void)[] = [];

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

  /** Called with a profile's name after a reload changed its client secrets. */
  onSecretsChanged(listener: (profile: string) => void): void {
    this.secretListeners.push(listener);
  }

  /** Only ConfigReloader calls this, with a validated config whose profile set is unchanged. */
  replace(next: BrokerConfig): void {
    const before = this.secrets;
    this.secrets = secretsByProfile(next);
    this.config = next;
    for (const [profile, secrets] of this.secrets) {
      if (JSON.stringify(before.get(profile)) === JSON.stringify(secrets)) continue;
      for (const listener of this.secretListeners) listener(profile);
    }
  }
}

const secretsByProfile = (config: BrokerConfig): ReadonlyMap<string, readonly string[]> =>
  new Map(config.profiles.map((profile) => [profile.name, profile.clientSecrets]));
