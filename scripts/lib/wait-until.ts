import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns true; fails with `what` once `timeoutMs` has passed, or at
 * once when `abort` returns a reason (the process being waited for has exited).
 */
export async function waitUntil(
  what: string,
  probe: () => boolean | Promise<boolean>,
  {
    timeoutMs = 20_000,
    intervalMs = 50,
    abort,
  }: { timeoutMs?: number; intervalMs?: number; abort?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet: connection refused and the like
    }
    const reason = abort?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Whether GET `url` (with `headers`) answers `status` right now (1 s deadline). */
export async function answers(url: string, status = 200, headers: Record<string, string> = {}): Promise<boolean> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(1_000) });
  await response.body?.cancel();
  return response.status === status;
}
