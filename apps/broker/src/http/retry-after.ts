/** Whole seconds from `now` until `at`, at least 1: the value of a Retry-After header (RFC 9110 §10.2.3). */
export const retryAfterSeconds = (at: number, now: number): number => Math.max(1, Math.ceil((at - now) / 1000));
