import { Injectable } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';
import { ProfileRequiredError, UnknownProfileError } from '../http/broker.errors';

/** Which profile a request means: the named one, else the only one, else the one named `default`. */
@Injectable()
export class ProfileResolver {
  private readonly byName: ReadonlyMap<string, ProfileConfig>;

  constructor(@InjectBrokerConfig() config: BrokerConfig) {
    this.byName = new Map(config.profiles.map((profile) => [profile.name, profile]));
  }

  nameFor(requested: string | undefined): string {
    if (requested !== undefined) return requested;
    if (this.byName.size === 1) return [...this.byName.keys()][0];
    if (this.byName.has('default')) return 'default';
    throw new ProfileRequiredError();
  }

  /** Checked after authorization, so a caller cannot probe which profile names exist. */
  require(name: string): ProfileConfig {
    const profile = this.byName.get(name);
    if (!profile) throw new UnknownProfileError();
    return profile;
  }

  all(): readonly ProfileConfig[] {
    return [...this.byName.values()];
  }
}
