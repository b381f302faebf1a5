import { Injectable } from '@nestjs/common';
import { TokenFingerprinter } from '../../logging/token-fingerprint';
import { ForcedRefresher } from '../refresh/forced-refresher.service';
import { TokenRefreshDto } from './token-refresh.dto';

/** POST /token/refresh: a forced refresh, answered with the new token's metadata. */
@Injectable()
export class TokenAdminService {
  constructor(
    private readonly forced: ForcedRefresher,
    private readonly fingerprints: TokenFingerprinter,
  ) {}

  async refresh(profile: string): Promise<TokenRefreshDto> {
    const refreshed = await this.forced.refreshNow(profile);
    return TokenRefreshDto.from(refreshed, this.fingerprints.of(refreshed.record.accessToken), Date.now());
  }
}
