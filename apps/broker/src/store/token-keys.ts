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
  } as const;
}

/** One channel for every profile: messages carry the profile and fence, never the token. */
export const TOKEN_UPDATES_CHANNEL = 'broker:token-updates';
