import { Injectable } from '@nestjs/common';
import type { CallerConfig, Role } from '../config/broker-config';
import { LiveConfig } from '../config/live-config.service';
import { ForbiddenError, UnauthenticatedError } from '../http/broker.errors';
import type { Caller } from './caller';
import { hashCallerKey } from './caller-key';

/** Keys are 43-char base64url strings; anything much longer is refused before hashing. */
const MAX_KEY_LENGTH = 256;

/**
 * Caller authentication and authorization, with no HTTP in it, so the Nest guard and any
 * other entry point share one implementation.
 */
@Injectable()
export class CallerAuthenticator {
  /** Callers by the hex SHA-256 of each of their keys. */
  private keys = new Map<string, Caller>();
  /** The callers list `keys` was built from: a reload replaces the list, which rebuilds them once. */
  private keysOf?: readonly CallerConfig[];

  constructor(private readonly config: LiveConfig) {}

  private knownKeys(): ReadonlyMap<string, Caller> {
    const callers = this.config.current.callers;
    if (callers !== this.keysOf) {
      this.keys = new Map(
        callers.flatMap((entry) => {
          const caller: Caller = { name: entry.name, roles: new Set(entry.roles), profiles: new Set(entry.profiles) };
          return entry.keySha256.map((hex) => [hex.toLowerCase(), caller] as const);
        }),
      );
      this.keysOf = callers;
    }
    return this.keys;
  }

  /** Resolves `Authorization: Bearer <key>` to a caller; 401 for anything else. */
  authenticate(authorization: string | undefined): Caller {
    // RFC 9110 §11.1: the scheme is case-insensitive and `1*SP` parts it from the credentials
    // (RFC 6750 §2.1: `"Bearer" 1*SP b64token`); a tab is not a separator there. Node has
    // already trimmed whitespace around the whole value.
    const match = /^bearer +([\x21-\x7e]{1,256})$/i.exec(authorization ?? '');
    if (!match || match[1].length > MAX_KEY_LENGTH) throw new UnauthenticatedError();
    // Looked up by the key's SHA-256, as stores of API keys do: the lookup's timing can only
    // tell about the digest of what was sent, which reveals nothing about any stored key
    // (finding a key from its digest is a preimage search).
    const found = this.knownKeys().get(hashCallerKey(match[1]));
    if (!found) throw new UnauthenticatedError();
    return found;
  }

  authorize(caller: Caller, role: Role, profile: string): void {
    if (!caller.roles.has(role)) throw new ForbiddenError(`use ${role}`);
    if (!caller.profiles.has('*') && !caller.profiles.has(profile)) throw new ForbiddenError('use this profile');
  }
}
