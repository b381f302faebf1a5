import { createRequire } from 'node:module';
import { withDeferredDateFormats } from './deferred-date-formats';
import { deferRequire } from './deferred-require';

// Imported by main.ts before anything else of the broker: what loads with the broker's
// dependencies but is never used by it is not built or loaded at boot (RSS, issue 15).
// class-validator's phone-number metadata: loaded if a phone number is ever validated.
deferRequire(require.resolve('class-validator'), 'libphonenumber-js/max');
// luxon (~0.8 MB of heap): cron needs it for cron expressions; the broker's jobs are intervals.
deferRequire(createRequire(require.resolve('@nestjs/schedule')).resolve('cron'), 'luxon');
// @nestjs/common's two date formatters (deferred-date-formats.ts); every later import of
// @nestjs/common gets the module from the cache.
// eslint-disable-next-line @typescript-eslint/no-require-imports
withDeferredDateFormats(() => require('@nestjs/common') as unknown);
