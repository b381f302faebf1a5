import { Injectable } from '@nestjs/common';

/** The furthest the admin API moves Proof's Date header from this host's clock: one day. */
export const MAX_DATE_OFFSET_MS = 86_400_000;

/**
 * Clock skew as callers see it (admin API only): every answer's `Date` header is this far
 * from this host's clock. Expiry is `expires_in` (seconds left), so a broker that reads the
 * Date header only to report skew serves exactly as without it.
 */
@Injectable()
export class DateSkewService {
  private offset = 0;

  get offsetMs(): number {
    return this.offset;
  }

  set(offsetMs: number): void {
    this.offset = offsetMs;
  }

  /** The `Date` header to send, or undefined for Node's own (no skew). */
  header(now = Date.now()): string | undefined {
    return this.offset === 0 ? undefined : new Date(now + this.offset).toUTCString();
  }
}
