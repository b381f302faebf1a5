import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { TokenPolicy } from '../config/emulator-config';
import { AdminBodyPipe } from './admin-body.pipe';
import {
  ClockRequestDto,
  FaultRequestDto,
  PolicyRequestDto,
  SecretsRequestDto,
  TokenLookupRequestDto,
} from './admin.dto';
import { EmulatorAdminService, TokenLookup } from './emulator-admin.service';
import { EmulatorStats, EmulatorStatsService } from './emulator-stats.service';
import { QueuedFault } from './fault-injector.service';

/** Test-only controls, mounted only when the admin API is enabled, never under /oauth. */
@Controller('_emulator')
export class AdminController {
  constructor(
    private readonly admin: EmulatorAdminService,
    private readonly stats: EmulatorStatsService,
  ) {}

  @Get('stats')
  getStats(): EmulatorStats {
    return this.stats.snapshot();
  }

  @Post('faults')
  @HttpCode(200)
  addFault(@Body(new AdminBodyPipe(FaultRequestDto)) body: FaultRequestDto): { pending: QueuedFault[] } {
    return this.admin.addFault(body);
  }

  @Delete('faults')
  clearFaults(): { cleared: number } {
    return this.admin.clearFaults();
  }

  @Post('tokens/lookup')
  @HttpCode(200)
  lookup(@Body(new AdminBodyPipe(TokenLookupRequestDto)) body: TokenLookupRequestDto): { tokens: TokenLookup[] } {
    return this.admin.lookup(body.tokens);
  }

  @Put('policy')
  setPolicy(@Body(new AdminBodyPipe(PolicyRequestDto)) body: PolicyRequestDto): { policy: TokenPolicy } {
    return this.admin.setPolicy(body.policy);
  }

  @Put('clock')
  setClock(@Body(new AdminBodyPipe(ClockRequestDto)) body: ClockRequestDto): { dateOffsetMs: number } {
    return this.admin.setDateOffset(body.dateOffsetMs);
  }

  @Put('clients/:uid/secrets')
  setSecrets(
    @Param('uid') uid: string,
    @Body(new AdminBodyPipe(SecretsRequestDto)) body: SecretsRequestDto,
  ): { secrets: number } {
    return this.admin.setSecrets(uid, body.secrets);
  }

  @Post('revoke-all')
  @HttpCode(200)
  revokeAll(): { revoked: number } {
    return this.admin.revokeAll();
  }

  @Post('reset')
  @HttpCode(200)
  reset(): Record<string, never> {
    return this.admin.reset();
  }
}
