import { Controller, Get, Header, Query, Req, UseGuards } from '@nestjs/common';
import { CallerGuard, type AuthenticatedRequest } from '../auth/caller.guard';
import { RequireRole } from '../auth/require-role.decorator';
import { GetTokenQuery, TokenInfoQuery } from './get-token.query';
import { TokenInfoDto } from './token-info.dto';
import { TokenInfoService } from './token-info.service';
import { TokenResponseDto } from './token-response.dto';
import { TokenService } from './token.service';

/** The guard has authenticated the caller and resolved `request.profileName` for its role. */
const profileOf = (request: AuthenticatedRequest): string => request.profileName as string;

@Controller('token')
@UseGuards(CallerGuard)
export class TokenController {
  constructor(
    private readonly tokens: TokenService,
    private readonly infos: TokenInfoService,
  ) {}

  @Get()
  @RequireRole('token:read')
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async getToken(@Req() request: AuthenticatedRequest, @Query() query: GetTokenQuery): Promise<TokenResponseDto> {
    return TokenResponseDto.from(
      await this.tokens.getToken(profileOf(request), (query.min_ttl ?? 0) * 1000),
      Date.now(),
    );
  }

  @Get('info')
  @RequireRole('token:info')
  @Header('Cache-Control', 'no-store')
  info(@Req() request: AuthenticatedRequest, @Query() _query: TokenInfoQuery): Promise<TokenInfoDto> {
    return this.infos.info(profileOf(request));
  }
}
