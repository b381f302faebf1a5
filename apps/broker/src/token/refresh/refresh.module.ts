import { Module } from '@nestjs/common';
import { ProfilesModule } from '../../profiles/profiles.module';
import { TokenCacheModule } from '../token-cache.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { FailureHolds } from './failure-holds.service';
import { HandOver } from './hand-over.service';
import { ForcedRefresher } from './forced-refresher.service';
import { LeaseKeeper } from './lease-keeper.service';
import { LocklessRefresher } from './lockless-refresher.service';
import { RefreshScheduler } from './refresh-scheduler.service';
import { TokenRefresher } from './token-refresher.service';
import { TokenRestorer } from './token-restorer.service';
import { ServingLease } from './serving-lease.service';

/**
 * Replacing tokens: on schedule, on demand (forced), under the fenced lock or, opted in,
 * without Redis; restoring them to a Redis that lost them; the presence lease that, under
 * revoke-previous, keeps a replica cut off from Redis from serving a revoked token.
 */
@Module({
  imports: [ProfilesModule, TokenCacheModule, UpstreamModule],
  // RefreshScheduler before TokenRestorer: their reconnect listeners run in this order.
  providers: [
    TokenRefresher,
    FailureHolds,
    LocklessRefresher,
    ForcedRefresher,
    RefreshScheduler,
    TokenRestorer,
    ServingLease,
    LeaseKeeper,
    HandOver,
  ],
  exports: [TokenRefresher, ForcedRefresher, ServingLease, LeaseKeeper, HandOver],
})
export class RefreshModule {}
