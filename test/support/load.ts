import { recordServedToken } from './leak-ledger';
import { sleep } from './wait';

export interface Served {
  readonly status: number;
  readonly token?: string;
  readonly error?: string;
  /** Client-side time the response arrived (ms). */
  readonly at: number;
}

/**
 * Steady concurrent GET /token load: `perTarget` sequential loops per URL until `durationMs`
 * has passed. Bounded in time and aimed at loopback only.
 */
export async function runLoad(
  urls: string[],
  key: string,
  durationMs: number,
  perTarget = 3,
  pauseMs = 5,
): Promise<Served[]> {
  const served: Served[] = [];
  const end = Date.now() + durationMs;
  const loop = async (url: string) => {
    while (Date.now() < end) {
      try {
        const response = await fetch(`${url}/token`, {
          headers: { authorization: `Bearer ${key}` },
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await response.json()) as { access_token?: string; error?: string };
        recordServedToken(body.access_token);
        served.push({ status: response.status, token: body.access_token, error: body.error, at: Date.now() });
      } catch (error) {
        served.push({ status: 0, error: (error as Error).name, at: Date.now() });
      }
      await sleep(pauseMs);
    }
  };
  await Promise.all(urls.flatMap((url) => Array.from({ length: perTarget }, () => loop(url))));
  return served;
}
