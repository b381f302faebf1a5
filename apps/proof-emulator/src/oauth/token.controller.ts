import { PROOF_TOKEN_PATH, ProofTokenResponse } from '@app/proof-contract';
import { Controller, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { NoStoreInterceptor } from './no-store.interceptor';
import { OAuthRequest, OAuthRequestParam } from './oauth-request';
import { TokenGrantService } from './token-grant.service';

@Controller()
export class TokenController {
  constructor(private readonly grants: TokenGrantService) {}

  @Post(PROOF_TOKEN_PATH)
  @HttpCode(200)
  @UseInterceptors(NoStoreInterceptor)
  token(@OAuthRequestParam() request: OAuthRequest): ProofTokenResponse {
    return this.grants.grant(request);
  }
}
