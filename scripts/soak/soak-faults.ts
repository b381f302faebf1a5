import type { Fault } from './fault-kinds';
import { redisFaults, replicaFaults } from './infra-faults';
import { upstreamFaults } from './upstream-faults';

export type { Fault, FaultContext, Random } from './fault-kinds';
export { seededRandom } from './fault-kinds';

/** Every fault the soak draws from. */
export const FAULTS: readonly Fault[] = [...redisFaults, ...replicaFaults, ...upstreamFaults];
