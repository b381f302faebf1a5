/**
 * Runs `load` while `new Intl.DateTimeFormat(...)` returns a stand-in that builds the real
 * formatter the first time one of its members is read, then puts the real constructor back.
 *
 * Why: @nestjs/common builds two formatters when it loads, for the timestamps of its console
 * logger, and building one maps ICU's locale and time-zone data: ~5 MB of the node binary's
 * pages and ~1.5 MB of heap in every replica (docs/BENCHMARKS.md, issue 15), for a logger the
 * broker does not write through (its logs go through pino). A stand-in that is used builds the
 * same formatter it would have built, with the locale and time zone in force at that moment.
 */
export function withDeferredDateFormats<T>(load: () => T): T {
  const Real = Intl.DateTimeFormat;
  const deferred = function DateTimeFormat(locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions) {
    let real: Intl.DateTimeFormat | undefined;
    const formatter = () => (real ??= new Real(locales, options));
    return new Proxy(Object.create(Real.prototype) as Intl.DateTimeFormat, {
      get(_target, key) {
        const value: unknown = Reflect.get(formatter(), key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(formatter()) : value;
      },
    });
  };
  Object.assign(deferred, { supportedLocalesOf: Real.supportedLocalesOf.bind(Real) });
  deferred.prototype = Real.prototype;
  Intl.DateTimeFormat = deferred as unknown as typeof Intl.DateTimeFormat;
  try {
    return load();
  } finally {
    Intl.DateTimeFormat = Real;
  }
}
