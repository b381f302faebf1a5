import { createHash } from 'node:crypto';
import { WRITE_TOKEN } from '../../../apps/broker/src/store/lock-scripts';

/** The holder's fenced token write as it reaches Redis: EVALSHA of the script, or EVAL of its text after NOSCRIPT. */
export const WRITE_COMMAND: readonly string[] = [
  createHash('sha1').update(WRITE_TOKEN).digest('hex'),
  "'record', ARGV[2]",
];
