/**
 * Redis keys of one profile share the hash tag `{broker:<profile>}` so they live in one
 * Redis Cluster slot and the Lua scripts, which touch several of them, run on a cluster.
 */
export function tokenKeys(profile: string) {
  const tag = `{broker:${profile}}`;
  return {
    token: `${tag}:token`,
    fence: `${tag}:fence`,
    lock: `${tag}:lock`,
    status: `${tag}:status`,
    /** revoke-previous: replicas that acknowledged the pending hand-over, with its fence. */
    acks: `${tag}:handover-acks`,
    /** Replicas present (sorted set: id -> until), and since when the registry exists. */
    replicas: `${tag}:replicas`,
    replicasSince: `${tag}:replicas-since`,
  } as const;
}

/** The shared verdict on a rejected token of `fence` (POST /token/rejected), in the profile's slot. */
export const rejectionVerdictKey = (profile: string, fence: number): string => `{broker:${profile}}:rejected:${fence}`;

/** One channel for every profile: messages carry the profile and fence, never the token. */
export const TOKEN_UPDATES_CHANNEL = 'broker:token-updates';
