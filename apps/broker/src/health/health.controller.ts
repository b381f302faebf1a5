import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { TokenHealthIndicator } from './token.health';

/** Probes for the load balancer and the orchestrator (Terminus). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly tokens: TokenHealthIndicator,
  ) {}

  /** The process answers. Never depends on Redis or Proof. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** This replica can serve a token for every profile from memory right now, and is not draining. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.tokens.accepting(), () => this.tokens.servable()]);
  }
}
