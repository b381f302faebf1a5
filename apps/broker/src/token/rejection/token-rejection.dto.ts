import { ApiProperty } from '../../http/api-decorators';

export const REJECTION_VERDICTS = ['replaced', 'alive', 'refreshed'] as const;
export type RejectionVerdict = (typeof REJECTION_VERDICTS)[number];

/** 200 body of POST /token/rejected: a verdict, never a token. */
export class TokenRejectionDto {
  @ApiProperty({
    enum: REJECTION_VERDICTS,
    description:
      'replaced: not the current token, get it again from GET /token; alive: Proof accepts the token, nothing was done; refreshed: Proof refused it, GET /token now serves a new one',
  })
  verdict!: RejectionVerdict;
  @ApiProperty() profile!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Fence of the token this replica serves now' })
  fence!: number | null;
}
