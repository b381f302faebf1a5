import { ProofTokenInfoResponse } from '@app/proof-contract';
import { Injectable } from '@nestjs/common';
import { EmulatorStatsService } from '../admin/emulator-stats.service';
import { OAuthErrors } from './oauth.errors';
import { TokenRegistryService } from './token-registry.service';

/** GET /oauth/v2/token/info: Doorkeeper's own token description. */
@Injectable()
export class TokenInfoService {
  constructor(
    private readonly registry: TokenRegistryService,
    private readonly stats: EmulatorStatsService,
  ) {}

  describe(token: string | undefined): ProofTokenInfoResponse {
    this.stats.recordTokenInfoRequest();
    const check = this.registry.check(token);
    // Expired, revoked and unknown all get the same answer: token/info does not say which.
    if (!check.ok) throw OAuthErrors.tokenInfoRefused();
    this.registry.vouch(check.token);
    return {
      resource_owner_id: null,
      scope: [...check.token.scopes],
      expires_in: this.registry.secondsLeft(check.token),
      application: { uid: check.token.clientId },
      created_at: Math.floor(check.token.issuedAtMs / 1000),
    };
  }
}
