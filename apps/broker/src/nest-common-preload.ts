import { withDeferredDateFormats } from './deferred-date-formats';

// Imported by main.ts before anything that imports @nestjs/common: its load-time date formatters
// are deferred (deferred-date-formats.ts); every later import gets the module from the cache.
// eslint-disable-next-line @typescript-eslint/no-require-imports
withDeferredDateFormats(() => require('@nestjs/common') as unknown);
