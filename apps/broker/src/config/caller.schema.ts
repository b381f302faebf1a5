// class-transformer's @Type reads design metadata while the class is being defined.
import 'reflect-metadata';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Min,
  MinLength,
} from 'class-validator';
import { ROLES, Role } from './broker-config';

/** One entry of BROKER_CALLERS_FILE: keys are stored only as SHA-256 hashes. */
export class CallerSchema {
  @IsString() @MinLength(1) name!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @Matches(/^[0-9a-f]{64}$/, { each: true, message: 'keySha256 entries must be 64 lowercase hex characters' })
  keySha256!: string[];

  @IsArray() @ArrayMinSize(1) @IsIn(ROLES, { each: true }) roles!: Role[];

  @IsArray() @ArrayMinSize(1) @IsString({ each: true }) profiles!: string[];

  /** Requests per rate-limit window, instead of BROKER_RATE_LIMIT_PER_CALLER (0: no limit). */
  @IsOptional() @IsInt() @Min(0) rateLimit?: number;
}
