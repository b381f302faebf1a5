import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One set of helmet options for every route (an API: no HSTS here, TLS ends at the load balancer). */
export const HELMET_OPTIONS = {
  hsts: false,
  crossOriginResourcePolicy: { policy: 'same-origin' },
} as const satisfies HelmetOptions;

/**
 * The headers helmet sets with HELMET_OPTIONS, computed once by running helmet itself
 * against a recording response. GET /token sends them as a constant instead of running
 * helmet's per-request hook (its cost: docs/BENCHMARKS.md), and cannot drift from the
 * headers of the other routes.
 */
export function staticSecurityHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(HELMET_OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure instanceof Error ? failure : new Error('helmet failed');
  return Object.freeze(headers);
}
