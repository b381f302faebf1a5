import { createRequire, Module } from 'node:module';

/**
 * Puts a stand-in for `request`, as the file `from` would require it, into Node's require cache:
 * the real module loads the first time one of the stand-in's properties is read, and replaces
 * the stand-in in the cache. For a dependency of a dependency that costs memory at load and
 * that the broker never calls, e.g. libphonenumber-js's metadata (~1.7 MB of heap,
 * docs/BENCHMARKS.md), which class-validator requires for `@IsPhoneNumber` only. Nothing
 * changes for a caller that uses it, except when the load happens. Does nothing when the module
 * is already loaded.
 */
export function deferRequire(from: string, request: string): void {
  const load = createRequire(from);
  const path = load.resolve(request);
  if (load.cache[path]) return;
  let real: object | undefined;
  const loadReal = (): object => {
    if (!real) {
      delete load.cache[path];
      real = load(request) as object;
    }
    return real;
  };
  const exports = new Proxy(
    {},
    {
      get: (_target, key): unknown => Reflect.get(loadReal(), key),
      has: (_target, key) => Reflect.has(loadReal(), key),
      ownKeys: () => Reflect.ownKeys(loadReal()),
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(loadReal(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
  const standIn = new Module(path);
  Object.assign(standIn, { filename: path, loaded: true, exports });
  load.cache[path] = standIn;
}
