import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { TOKEN_POLICIES, TokenPolicy } from '../config/emulator-config';
import { MAX_DATE_OFFSET_MS } from './date-skew.service';
import { FAULT_MODES, FaultMode } from './fault-injector.service';

/** POST /_emulator/faults */
export class FaultRequestDto {
  @IsIn(FAULT_MODES)
  mode!: FaultMode;

  /** How many of the next token requests get this fault (default 1). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  count?: number;

  /** Retry-After of 503 and 429 (default 1). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  retryAfterSeconds?: number;

  /** Required for `latency`. */
  @ValidateIf((dto: FaultRequestDto) => dto.mode === 'latency' || dto.latencyMs !== undefined)
  @IsInt()
  @Min(0)
  @Max(600_000)
  latencyMs?: number;
}

/** POST /_emulator/tokens/lookup */
export class TokenLookupRequestDto {
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  tokens!: string[];
}

/** PUT /_emulator/clients/:uid/secrets */
export class SecretsRequestDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(16)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  secrets!: string[];
}

/** PUT /_emulator/clock: Proof's `Date` header this far from the host's clock (0: none). */
export class ClockRequestDto {
  @IsInt()
  @Min(-MAX_DATE_OFFSET_MS)
  @Max(MAX_DATE_OFFSET_MS)
  dateOffsetMs!: number;
}

/** PUT /_emulator/policy */
export class PolicyRequestDto {
  @IsIn(TOKEN_POLICIES)
  policy!: TokenPolicy;
}
