// The HAProxy helpers live in scripts/lib so that `npm run cluster` (built from scripts/**,
// which the build includes and test/** is not) and the tests share one config and one runner.
export { renderHaproxyConfig } from '../../scripts/lib/haproxy-config';
export type { HaproxyConfigOptions, HaproxyServer } from '../../scripts/lib/haproxy-config';
export { assertHaproxyInstalled, parseServerStats, startHaproxy } from '../../scripts/lib/haproxy';
export type { Haproxy, HaproxyServerState } from '../../scripts/lib/haproxy';
