// Baseline: bare Fastify answering GET /token with a fixed body and the broker's headers, no logic.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = process.env.BENCH_BODY ?? '{}';
// The broker's own response headers (security headers, no-store), captured by the bench.
const headers = JSON.parse(process.env.BENCH_HEADERS ?? '{}') as Record<string, string>;

app.get('/token', (_request, reply) => {
  void reply.headers(headers).type('application/json; charset=utf-8').send(body);
});

// A clean exit on SIGTERM, so `node --cpu-prof` can write its profile.
process.once('SIGTERM', () => process.exit(0));
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
