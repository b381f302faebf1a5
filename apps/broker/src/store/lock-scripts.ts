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
 * A record at or above a pending hand-over's fence ends that hand-over (see BEGIN_HANDOVER).
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
if tonumber(redis.call('HGET', KEYS[1], 'handover') or '0') <= fence then redis.call('HDEL', KEYS[1], 'handover', 'handover_by') end
return 1
`;

/** Redis' own clock in ms: replicas' clocks may disagree, and presence is compared across them. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: replica registry (sorted set), registry start. ARGV: replica id, presence ttl ms.
 * A replica is present until `now + ttl`; the registry's start time is kept while anyone
 * heartbeats, and is lost with Redis' data (a restart): see BEGIN_HANDOVER.
 */
export const HEARTBEAT = `
${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if not redis.call('SET', KEYS[2], now, 'NX', 'PX', ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
`;

/**
 * revoke-previous. KEYS: lock, token hash, acknowledgements, registry start. ARGV: owner,
 * fence, presence ttl ms, ttl ms of the hash if it has none, holder's replica id, and
 * whether to record ('1') or only to wait for the registry ('0').
 * Records, under the lock, that the lease of this fence is about to ask Proof for a token
 * (which revokes the served one): every replica that reads the token hash sees it, and
 * stops serving until a record of this fence or newer is written (WRITE_TOKEN removes it)
 * or the holder ends it (END_HANDOVER). The holder of a hand-over still pending (it died,
 * stopped or lost its lease) counts as having acknowledged this one: it stopped serving the
 * token before recording its own, and serves it again only once END_HANDOVER of its fence
 * succeeds, which it no longer can. So the next holder need not wait for a dead holder to
 * leave the registry (a presence TTL). Returns -1 if the lock is not ours, or if a record of
 * this fence or newer is stored (written back after an empty restart by a replica that held
 * it: the lease is stale, and asking Proof would revoke that token); else the ms to wait
 * while the registry is younger than the presence ttl (after a Redis restart, replicas still
 * reconnecting have not registered, nor written back what they hold, yet); 0 once recorded
 * (or, with '0', once the registry is old enough).
 */
export const BEGIN_HANDOVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if tonumber(redis.call('HGET', KEYS[2], 'fence') or '0') >= tonumber(ARGV[2]) then return -1 end
${NOW}
local since = tonumber(redis.call('GET', KEYS[4]) or '-1')
local ttl = tonumber(ARGV[3])
if since < 0 then return ttl end
if now - since < ttl then return ttl - (now - since) end
if ARGV[6] ~= '1' then return 0 end
local previous = redis.call('HGET', KEYS[2], 'handover') and redis.call('HGET', KEYS[2], 'handover_by')
redis.call('HSET', KEYS[2], 'handover', ARGV[2], 'handover_by', ARGV[5])
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
redis.call('DEL', KEYS[3])
if previous and previous ~= ARGV[5] then
  redis.call('HSET', KEYS[3], previous, ARGV[2])
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
return 0
`;

/** KEYS: token hash, acknowledgements. ARGV: fence, replica id, ttl ms. "I no longer serve the token this fence revokes." */
export const ACK_HANDOVER = `
if redis.call('HGET', KEYS[1], 'handover') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

/** KEYS: replica registry, acknowledgements. ARGV: fence, holder id. The present replicas that have not acknowledged. */
export const UNACKNOWLEDGED = `
${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local missing = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] and tonumber(redis.call('HGET', KEYS[2], id) or '0') < tonumber(ARGV[1]) then
    missing[#missing + 1] = id
  end
end
return missing
`;

/**
 * KEYS: token hash. ARGV: fence. Ends the hand-over of this fence only (Proof issued nothing)
 * and leaves the fact in the hash (`handover_ended`): a replica that missed the holder's
 * message learns it from its next read. A read that finds no hand-over ends nothing: after
 * Redis lost its data it finds none either, while the holder's request may be revoking the
 * token. 1 if it did; 0 if a newer holder's hand-over (or a record) replaced it, or Redis
 * lost it, and the old token must then stay unserved.
 */
export const END_HANDOVER = `
if redis.call('HGET', KEYS[1], 'handover') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'handover', 'handover_by')
  redis.call('HSET', KEYS[1], 'handover_ended', ARGV[1])
  return 1
end
return 0
`;
