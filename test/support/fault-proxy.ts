// The fault proxy lives in scripts/lib so that `npm run soak` (built from scripts/**) and the
// tests share one implementation (see ./haproxy.ts).
export { startFaultProxy } from '../../scripts/lib/fault-proxy';
export type { FaultMode, FaultProxy, FaultProxyStats } from '../../scripts/lib/fault-proxy';
