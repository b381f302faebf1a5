/**
 * Broker timings for short-lived test tokens (the tests' FAST_TIMINGS and the soak): short
 * tokens need short checks; the lock still outlives the upstream deadline twice.
 */
export const FAST_BROKER_TIMINGS = {
  BROKER_CHECK_INTERVAL_MS: '100',
  BROKER_MIN_TTL_SECONDS: '1',
  BROKER_UPSTREAM_TIMEOUT_MS: '2000',
  BROKER_LOCK_TTL_MS: '5000',
  BROKER_BACKOFF_BASE_MS: '200',
  BROKER_BACKOFF_MAX_MS: '2000',
  BROKER_RECONCILE_INTERVAL_MS: '1000',
  BROKER_COLD_WAIT_MS: '4000',
} as const;
