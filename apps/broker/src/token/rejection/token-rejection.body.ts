import { ApiProperty, ApiPropertyOptional } from '../../http/api-decorators';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** Body of POST /token/rejected; unknown fields are a 400. Validation messages never quote the token. */
export class TokenRejectionBody {
  @ApiPropertyOptional({ description: 'As in GET /token: may be omitted with one profile or one named default' })
  @IsOptional()
  @IsString()
  profile?: string;

  @ApiProperty({ description: 'The token Proof answered 401 to' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  access_token!: string;
}
