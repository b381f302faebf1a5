import { Body, Controller, Header, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiResponse } from '../../http/api-decorators';
import { CallerGuard, profileOf, type AuthenticatedRequest } from '../../admission/caller.guard';
import { ProfileFrom } from '../../admission/profile-from.decorator';
import { RequireRole } from '../../admission/require-role.decorator';
import { ErrorBodyDto } from '../../http/error-body.dto';
import { TokenRejectionBody } from './token-rejection.body';
import { TokenRejectionDto } from './token-rejection.dto';
import { TokenRejectionQuery } from './token-rejection.query';
import { TokenRejectionService } from './token-rejection.service';

/** Callers report a token Proof answered 401 to. */
@Controller('token')
@UseGuards(CallerGuard)
export class TokenRejectionController {
  constructor(private readonly rejections: TokenRejectionService) {}

  @Post('rejected')
  @HttpCode(200)
  @ApiBearerAuth('caller-key')
  @ApiOkResponse({ type: TokenRejectionDto })
  @ApiResponse({ status: 400, type: ErrorBodyDto, description: 'invalid_request, profile_required' })
  @ApiResponse({ status: 403, type: ErrorBodyDto, description: 'forbidden (role token:read or admin)' })
  @ApiResponse({
    status: 503,
    type: ErrorBodyDto,
    description: 'token_check_failed, refresh_failed (with Retry-After)',
  })
  @RequireRole(['token:read', 'admin'])
  @ProfileFrom('body')
  @Header('Cache-Control', 'no-store')
  rejected(
    @Req() request: AuthenticatedRequest,
    @Body() body: TokenRejectionBody,
    @Query() _query: TokenRejectionQuery,
  ): Promise<TokenRejectionDto> {
    return this.rejections.report(profileOf(request), body.access_token);
  }
}
