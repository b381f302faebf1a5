import { Controller, Get } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { HealthProbe } from './health-probe.decorator';
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
  @HealthProbe()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Red only for causes local to this replica: draining, booting, its store not answering (see TokenHealthIndicator). */
  @Get('ready')
  @HealthProbe()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.tokens.accepting(), () => this.tokens.servable()]);
  }
}
