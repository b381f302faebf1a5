import type { Served } from '../support/load';
import { recordServedToken } from '../support/leak-ledger';
import { sleep } from '../support/wait';

export interface SteadyLoad {
  /** Responses so far. */
  count(): number;
  /** Stops the loops, lets in-flight requests finish, returns every response. */
  stop(): Promise<Served[]>;
}

/**
 * `concurrency` sequential GET /token loops against `url` until stopped: like runLoad, but
 * open-ended, for scenarios whose length is not known up front (a rolling restart).
 */
export function startSteadyLoad(url: string, key: string, concurrency = 4, pauseMs = 5): SteadyLoad {
  const served: Served[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const response = await fetch(`${url}/token`, {
          headers: { authorization: `Bearer ${key}` },
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await response.json()) as { access_token?: string; error?: string };
        recordServedToken(body.access_token);
        served.push({ status: response.status, token: body.access_token, error: body.error, at: Date.now() });
      } catch (error) {
        served.push({ status: 0, error: `${(error as Error).name}: ${(error as Error).message}`, at: Date.now() });
      }
      await sleep(pauseMs);
    }
  };
  const loops = Promise.all(Array.from({ length: concurrency }, loop));
  return {
    count: () => served.length,
    stop: async () => {
      running = false;
      await loops;
      return served;
    },
  };
}
