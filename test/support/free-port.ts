// One implementation for the scripts, the tests and (built) the bench.
export { freePort } from '../../scripts/lib/free-port';
