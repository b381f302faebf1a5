// The emulator's admin client lives in scripts/lib, shared with `npm run soak` (see ./haproxy.ts).
export { emulatorAdmin, servedOnProofsWord, validAt } from '../../scripts/lib/emulator-admin';
export type { EmulatorStats, TokenLookup } from '../../scripts/lib/emulator-admin';
