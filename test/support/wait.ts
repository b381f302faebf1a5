export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true; fails with `what` once `timeoutMs` has passed. */
export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not ready yet: connection refused and the like
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves once GET `url` answers with `status` (default 200). */
export function waitForHttp(url: string, status = 200, timeoutMs = 15_000): Promise<void> {
  return waitUntil(
    `${url} to answer ${status}`,
    async () => (await fetch(url, { signal: AbortSignal.timeout(1_000) })).status === status,
    timeoutMs,
  );
}
