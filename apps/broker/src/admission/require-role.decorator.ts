import { Reflector } from '@nestjs/core';
import type { Role } from '../config/broker-config';

/** The role a route needs (or any of several); checked with the requested profile by CallerGuard. */
export const RequireRole = Reflector.createDecorator<Role | readonly Role[]>();
