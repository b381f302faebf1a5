import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ProfileResolver } from '../token/profile-resolver';
import { TokenService } from '../token/token.service';
import { Lifecycle } from './lifecycle.service';

/** Probes for the load balancer and the orchestrator. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly profiles: ProfileResolver,
    private readonly tokens: TokenService,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** The process answers. Never depends on Redis or Proof. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** This replica can serve a token for every profile from memory right now. */
  @Get('ready')
  ready(): { status: 'ok' } {
    // Red first when shutting down, so the load balancer stops sending before we stop accepting.
    if (this.lifecycle.draining) throw new ServiceUnavailableException('shutting down');
    const missing = this.profiles.all().filter((profile) => !this.tokens.canServe(profile.name));
    if (missing.length > 0) throw new ServiceUnavailableException(`no servable token for ${missing.length} profile(s)`);
    return { status: 'ok' };
  }
}
