/**
 * Lua scripts of the fenced lock. Each runs atomically on the Redis server, which is what
 * makes "take the lock and hand out a fence" and "write only if the fence is newest" safe
 * between replicas.
 */

/**
 * KEYS: lock, fence counter, token hash. ARGV: owner, ttl ms, fence floor.
 * The fence is one above the highest of the counter, the stored record's fence and the
 * caller's floor (the highest fence it has seen), so it keeps increasing even after the
 * counter was lost (FLUSHALL, a failover to an empty replica).
 */
export const ACQUIRE_LOCK = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local counter = tonumber(redis.call('GET', KEYS[2]) or '0')
local stored = tonumber(redis.call('HGET', KEYS[3], 'fence') or '0')
local fence = math.max(counter, stored, tonumber(ARGV[3])) + 1
redis.call('SET', KEYS[2], fence)
return fence
`;

/** KEYS: lock. ARGV: owner. Compare-and-delete: a bare DEL could free another owner's lock. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS: lock. ARGV: owner, ttl ms. Extends the lock only if it is still ours. */
export const HOLD_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * KEYS: token hash, fence counter. ARGV: fence, record JSON, ttl ms.
 * Rejects a fence at or below the stored one (a replay, or a writer older than the stored
 * token) and one below the counter (a newer lease exists: its holder's lock expired while
 * it was paused or slow), so a stale writer can never overwrite a newer token.
 */
export const WRITE_TOKEN = `
local fence = tonumber(ARGV[1])
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
local counter = tonumber(redis.call('GET', KEYS[2]) or '0')
if fence <= stored or fence < counter then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'record', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if fence > counter then redis.call('SET', KEYS[2], ARGV[1]) end
return 1
`;
