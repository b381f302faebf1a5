import type { Role } from '../config/broker-config';

/** An authenticated internal service, as attached to the request by the guard. */
export interface Caller {
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  readonly profiles: ReadonlySet<string>;
}
