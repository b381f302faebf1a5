import { Injectable } from '@nestjs/common';
import type { BrokerConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { TokenFingerprinter } from '../../logging/token-fingerprint';
import { refreshHintOf } from '../refresh-hint';
import { ForcedRefresher } from '../refresh/forced-refresher.service';
import { TokenRefreshDto } from './token-refresh.dto';

/** POST /token/refresh: a forced refresh, answered with the new token's metadata. */
@Injectable()
export class TokenAdminService {
  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly forced: ForcedRefresher,
    private readonly fingerprints: TokenFingerprinter,
  ) {}

  async refresh(profile: string): Promise<TokenRefreshDto> {
    const refreshed = await this.forced.refreshNow(profile);
    const { record } = refreshed;
    const hint = refreshHintOf(record, this.config.refresh);
    return TokenRefreshDto.from(refreshed, hint, this.fingerprints.of(record.accessToken), Date.now());
  }
}
