// A naive broker: the same caller check as the real one (SHA-256 of the key, a set lookup), then
// one Redis HGET of the token record per request instead of serving it from memory.
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import Redis from 'ioredis';

interface StoredRecord {
  accessToken: string;
  tokenType: string;
  expiresAt: number;
  scope: string;
  profile: string;
}

const app = Fastify({ logger: false });
const redis = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
const callerHashes = new Set([process.env.BENCH_KEY_SHA256]);
const KEY = process.env.BENCH_REDIS_KEY ?? 'bench:naive:token';
const headers = JSON.parse(process.env.BENCH_HEADERS ?? '{}') as Record<string, string>;

app.get('/token', async (request, reply) => {
  const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!key || !callerHashes.has(createHash('sha256').update(key, 'utf8').digest('hex'))) {
    return reply.code(401).send({ error: 'unauthenticated', message: 'unknown caller key' });
  }
  const raw = await redis.hget(KEY, 'record');
  if (!raw) return reply.code(503).send({ error: 'token_unavailable', message: 'no token' });
  const record = JSON.parse(raw) as StoredRecord;
  void reply.headers(headers);
  return {
    access_token: record.accessToken,
    token_type: record.tokenType,
    expires_in: Math.max(0, Math.floor((record.expiresAt - Date.now()) / 1000)),
    expires_at: new Date(record.expiresAt).toISOString(),
    scope: record.scope,
    profile: record.profile,
  };
});

process.once('SIGTERM', () => {
  redis.disconnect();
  process.exit(0);
});
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
