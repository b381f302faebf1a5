import { ApiPropertyOptional } from '../../http/api-decorators';
import { IsOptional, IsString } from 'class-validator';

/** Query of POST /token/refresh; unknown or repeated parameters are a 400. */
export class TokenRefreshQuery {
  @ApiPropertyOptional({ description: 'May be omitted with one profile or one named default' })
  @IsOptional()
  @IsString()
  profile?: string;
}
