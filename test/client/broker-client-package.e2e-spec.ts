import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { prepareWorker } from './support/client-workers';

/** The built package as a service loads it: by name, through its `exports`. */
describe('@proof-broker/client package', () => {
  const dir = dirname(prepareWorker());
  const run = (script: string): string =>
    execFileSync(process.execPath, ['-e', script], { cwd: dir }).toString().trim();

  it('loads its main entry without loading NestJS', () => {
    const loaded = run(
      "const c = require('@proof-broker/client');" +
        "const nest = Object.keys(require.cache).filter((k) => k.includes('@nestjs')).length;" +
        'console.log(JSON.stringify({ exports: Object.keys(c).sort(), nest }))',
    );
    expect(JSON.parse(loaded)).toEqual({
      exports: ['BrokerClient', 'BrokerClientConfigError', 'BrokerClientError'],
      nest: 0,
    });
  });

  it('serves the Nest module from ./nest, and nothing outside its exports', () => {
    const nest = run("console.log(Object.keys(require('@proof-broker/client/nest')).sort().join(','))");
    expect(nest.split(',')).toEqual(
      expect.arrayContaining(['BROKER_CLIENT', 'BrokerClient', 'BrokerClientModule', 'InjectBrokerClient']),
    );
    expect(() => run("require('@proof-broker/client/dist/broker-api')")).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
