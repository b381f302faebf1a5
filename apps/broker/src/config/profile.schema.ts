// class-transformer's @Type reads design metadata while the class is being defined.
import 'reflect-metadata';
import { ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUrl, Matches, MinLength } from 'class-validator';
import { PROOF_ENVIRONMENTS, TOKEN_POLICIES, TokenPolicy } from './broker-config';

/** One entry of BROKER_PROFILES_FILE. */
export class ProfileSchema {
  @Matches(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: 'name must be 1-63 chars of a-z, 0-9, _ or -' }) name!: string;
  @IsOptional() @IsIn(Object.keys(PROOF_ENVIRONMENTS)) environment?: keyof typeof PROOF_ENVIRONMENTS;
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }) baseUrl?: string;
  @IsString() @MinLength(1) clientId!: string;
  @IsOptional() @IsString() @MinLength(1) clientSecret?: string;
  /** Several valid secrets in order of preference (rotation). */
  @IsOptional() @IsArray() @ArrayMinSize(1) @IsString({ each: true }) clientSecrets?: string[];
  @IsOptional() @IsString() @MinLength(1) clientSecretFile?: string;
  @IsOptional() @IsString() scope?: string;
  @IsOptional() @IsIn(TOKEN_POLICIES) tokenPolicy?: TokenPolicy;
}
