import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

/** Query of GET /token and GET /token/info; unknown or repeated parameters are a 400. */
export class GetTokenQuery {
  @IsOptional() @IsString() profile?: string;

  /** The caller needs at least this many seconds of validity. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(86_400) min_ttl?: number;
}

export class TokenInfoQuery {
  @IsOptional() @IsString() profile?: string;
}
