import { Controller, Header, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiResponse } from '../../http/api-decorators';
import { CallerGuard, profileOf, type AuthenticatedRequest } from '../../admission/caller.guard';
import { RequireRole } from '../../admission/require-role.decorator';
import { ErrorBodyDto } from '../../http/error-body.dto';
import { TokenRefreshDto } from './token-refresh.dto';
import { TokenRefreshQuery } from './token-refresh.query';
import { TokenAdminService } from './token-admin.service';

/** Operator actions on a profile's token. */
@Controller('token')
@UseGuards(CallerGuard)
export class TokenAdminController {
  constructor(private readonly admin: TokenAdminService) {}

  @Post('refresh')
  @HttpCode(200)
  @ApiBearerAuth('caller-key')
  @ApiOkResponse({ type: TokenRefreshDto, description: 'One refresh was made (shared by concurrent calls)' })
  @ApiResponse({ status: 403, type: ErrorBodyDto, description: 'forbidden (role admin)' })
  @ApiResponse({ status: 429, type: ErrorBodyDto, description: 'refresh_too_soon (with Retry-After)' })
  @ApiResponse({ status: 503, type: ErrorBodyDto, description: 'refresh_failed (with Retry-After)' })
  @RequireRole('admin')
  @Header('Cache-Control', 'no-store')
  refresh(@Req() request: AuthenticatedRequest, @Query() _query: TokenRefreshQuery): Promise<TokenRefreshDto> {
    return this.admin.refresh(profileOf(request));
  }
}
