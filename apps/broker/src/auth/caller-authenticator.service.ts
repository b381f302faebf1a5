import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CallerConfig, Role } from '../config/broker-config';
import { LiveConfig } from '../config/live-config.service';
import { ForbiddenError, UnauthenticatedError } from '../http/broker.errors';
import type { Caller } from './caller';

interface KnownKey {
  readonly hash: Buffer;
  readonly caller: Caller;
}

/** Keys are 43-char base64url strings; anything much longer is refused before hashing. */
const MAX_KEY_LENGTH = 256;

/**
 * Caller authentication and authorization, with no HTTP in it, so the Nest guard and any
 * other entry point share one implementation.
 */
@Injectable()
export class CallerAuthenticator {
  private keys: readonly KnownKey[] = [];
  /** The callers list `keys` was built from: a reload replaces the list, which rebuilds them once. */
  private keysOf?: readonly CallerConfig[];

  constructor(private readonly config: LiveConfig) {}

  private knownKeys(): readonly KnownKey[] {
    const callers = this.config.current.callers;
    if (callers !== this.keysOf) {
      this.keys = callers.flatMap((entry) => {
        const caller: Caller = { name: entry.name, roles: new Set(entry.roles), profiles: new Set(entry.profiles) };
        return entry.keySha256.map((hex) => ({ hash: Buffer.from(hex, 'hex'), caller }));
      });
      this.keysOf = callers;
    }
    return this.keys;
  }

  /** Resolves `Authorization: Bearer <key>` to a caller; 401 for anything else. */
  authenticate(authorization: string | undefined): Caller {
    const match = /^Bearer ([\x21-\x7e]{1,256})$/.exec(authorization ?? '');
    if (!match || match[1].length > MAX_KEY_LENGTH) throw new UnauthenticatedError();
    const digest = createHash('sha256').update(match[1], 'utf8').digest();
    // Compare against every stored hash without stopping early: the time taken does not
    // depend on which (if any) caller matched.
    let found: Caller | undefined;
    for (const key of this.knownKeys()) {
      if (timingSafeEqual(digest, key.hash) && !found) found = key.caller;
    }
    if (!found) throw new UnauthenticatedError();
    return found;
  }

  authorize(caller: Caller, role: Role, profile: string): void {
    if (!caller.roles.has(role)) throw new ForbiddenError(`use ${role}`);
    if (!caller.profiles.has('*') && !caller.profiles.has(profile)) throw new ForbiddenError('use this profile');
  }
}
