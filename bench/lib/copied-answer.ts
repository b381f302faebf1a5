// The comparison servers answer with the very body and headers a broker sends for GET /token.

/** Set by Node or Fastify on every answer, or per request: not copied to the comparison servers. */
const PER_RESPONSE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export interface CopiedAnswer {
  readonly body: string;
  /** The env of bench/bare-fastify.ts and bench/bare-node.ts (BENCH_BODY, BENCH_HEADERS). */
  readonly env: { BENCH_BODY: string; BENCH_HEADERS: string };
}

export async function copyTokenAnswer(brokerUrl: string, headers: Record<string, string>): Promise<CopiedAnswer> {
  const served = await fetch(`${brokerUrl}/token`, { headers });
  const body = await served.text();
  const kept = [...served.headers].filter(([name]) => !PER_RESPONSE_HEADERS.has(name) && !name.startsWith('content-'));
  return { body, env: { BENCH_BODY: body, BENCH_HEADERS: JSON.stringify(Object.fromEntries(kept)) } };
}
