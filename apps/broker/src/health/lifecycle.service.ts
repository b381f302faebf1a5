import { Injectable } from '@nestjs/common';

/** Whether this replica is draining: set at the start of a graceful shutdown. */
@Injectable()
export class Lifecycle {
  private drainingSince?: number;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  startDraining(): void {
    this.drainingSince ??= Date.now();
  }
}
