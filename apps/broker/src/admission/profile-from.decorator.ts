import { Reflector } from '@nestjs/core';

/** Where a route's `profile` comes from: the query (the default) or the JSON body (POST /token/rejected). */
export const ProfileFrom = Reflector.createDecorator<'query' | 'body'>();
