// Nest 12 packages are ESM-only. Node 20 loads them from our CommonJS build through
// require(esm), but Jest's own module loader only does that on Node >= 24.9, so the
// tests compile those packages (and the few other ESM-only ones they load, such as
// content-disposition via @fastify/static) to CommonJS with SWC (cached after the first run).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Real processes and real time: generous on a noisy 2-core machine.
  testTimeout: 30_000,
  // Every suite stops its processes in afterAll; a stray keep-alive socket must not hold CI hostage.
  forceExit: true,
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  modulePathIgnorePatterns: ['<rootDir>/libs/.*/dist/'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  // The chaos soak's short mode runs on its own (`npm run test:soak`, after the suite in CI):
  // several minutes of a multi-process cluster, kept out of the README's test command (it gates CI).
  // The verdict's own unit specs (test/soak/*.spec.ts) run with everything else.
  testPathIgnorePatterns:
    process.env.SOAK === '1' ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/soak/.*\\.e2e-spec\\.ts$'],
  transform: { '^.+\\.(t|j)s$': swc },
  // The leak scan (test/leak-scan): a ledger of every secret and token, searched at the end.
  globalSetup: '<rootDir>/test/leak-scan/global-setup.ts',
  globalTeardown: '<rootDir>/test/leak-scan/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/leak-scan/instrument.ts'],
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|content-disposition|cookie)/)'],
  moduleNameMapper: {
    '^@app/proof-contract(|/.*)$': '<rootDir>/libs/proof-contract/src$1',
    '^@proof-broker/client$': '<rootDir>/libs/broker-client/src/index',
    '^@proof-broker/client/nest$': '<rootDir>/libs/broker-client/src/nest',
  },
};
