import { IsOptional, IsString } from 'class-validator';

/** Query of GET /token/info; unknown or repeated parameters are a 400. */
export class TokenInfoQuery {
  @IsOptional() @IsString() profile?: string;
}
