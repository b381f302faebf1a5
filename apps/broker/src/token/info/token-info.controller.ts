import { Controller, Get, Header, Query, Req, UseGuards } from '@nestjs/common';
import { CallerGuard, profileOf, type AuthenticatedRequest } from '../../admission/caller.guard';
import { ApiBearerAuth, ApiOkResponse, ApiResponse } from '../../http/api-decorators';
import { RequireRole } from '../../admission/require-role.decorator';
import { ErrorBodyDto } from '../../http/error-body.dto';
import { TokenInfoQuery } from './token-info.query';
import { TokenInfoDto } from './token-info.dto';
import { TokenInfoService } from './token-info.service';

/** GET /token itself is not a Nest route: TokenEndpoint, answered by token-request-listener.ts and token-route.ts. */
@Controller('token')
@UseGuards(CallerGuard)
export class TokenInfoController {
  constructor(private readonly infos: TokenInfoService) {}

  @Get('info')
  @ApiBearerAuth('caller-key')
  @ApiOkResponse({ type: TokenInfoDto })
  @ApiResponse({ status: 403, type: ErrorBodyDto, description: 'forbidden' })
  @RequireRole('token:info')
  @Header('Cache-Control', 'no-store')
  info(@Req() request: AuthenticatedRequest, @Query() _query: TokenInfoQuery): Promise<TokenInfoDto> {
    return this.infos.info(profileOf(request));
  }
}
