import { Module } from '@nestjs/common';
import { ProofTokenClient } from './proof-token.client';
import { TokenFetcher } from './token-fetcher.service';

/** Proof's token endpoints: the HTTP client and the fetch of a new token. */
@Module({ providers: [ProofTokenClient, TokenFetcher], exports: [ProofTokenClient, TokenFetcher] })
export class UpstreamModule {}
