/**
 * V8 flags every production start of the broker uses (`npm start`, the Dockerfile, `npm run
 * cluster`, the benchmark; test/repo/node-flags.spec.ts keeps them in step). A young
 * generation of 2 MB semi-spaces instead of V8's 16 MB: GET /token allocates little that
 * lives, so scavenges stay cheap, and a replica's RSS after load drops by about 35 MB
 * (docs/BENCHMARKS.md).
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
