import { PROOF_REVOKE_PATH } from '@app/proof-contract';
import { Controller, HttpCode, Post } from '@nestjs/common';
import { OAuthRequest, OAuthRequestParam } from './oauth-request';
import { TokenRevokerService } from './token-revoker.service';

@Controller()
export class RevokeController {
  constructor(private readonly revoker: TokenRevokerService) {}

  @Post(PROOF_REVOKE_PATH)
  @HttpCode(200)
  revoke(@OAuthRequestParam() request: OAuthRequest): Record<string, never> {
    return this.revoker.revoke(request);
  }
}
