import { answers, waitUntil as waitUntilOptions } from '../../scripts/lib/wait-until';

export { setTimeout as sleep } from 'node:timers/promises';

/** scripts/lib's waitUntil with the tests' positional timeout and interval (15 s, 50 ms). */
export const waitUntil = (
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> => waitUntilOptions(what, probe, { timeoutMs, intervalMs });

/** Resolves once GET `url` answers with `status` (default 200). */
export const waitForHttp = (url: string, status = 200, timeoutMs = 15_000): Promise<void> =>
  waitUntil(`${url} to answer ${status}`, () => answers(url, status), timeoutMs);
