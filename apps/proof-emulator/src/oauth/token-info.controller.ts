import { PROOF_TOKEN_INFO_PATH, ProofTokenInfoResponse } from '@app/proof-contract';
import { Controller, Get, Headers } from '@nestjs/common';
import { bearerTokenOf } from './bearer-token';
import { TokenInfoService } from './token-info.service';

@Controller()
export class TokenInfoController {
  constructor(private readonly tokenInfo: TokenInfoService) {}

  @Get(PROOF_TOKEN_INFO_PATH)
  info(@Headers('authorization') authorization: string | undefined): ProofTokenInfoResponse {
    return this.tokenInfo.describe(bearerTokenOf(authorization));
  }
}
