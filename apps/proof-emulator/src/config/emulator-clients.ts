import type { EmulatorClient } from './emulator-config';

/** Every application gets Doorkeeper's default scopes; per-app scopes are not needed yet. */
export const DEFAULT_CLIENT_SCOPES: readonly string[] = ['read', 'write'];

export interface ParsedClients {
  readonly clients: EmulatorClient[];
  readonly problems: string[];
}

/**
 * Parses `uid:secret1|secret2,other-uid:secret`: several applications, each with one or
 * more valid secrets (Proof lets an application hold many secrets, for rotation).
 */
export function parseEmulatorClients(spec: string): ParsedClients {
  const clients: EmulatorClient[] = [];
  const problems: string[] = [];
  const entries = spec.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const uid = colon < 0 ? entry : entry.slice(0, colon).trim();
    const secrets =
      colon < 0
        ? []
        : entry
            .slice(colon + 1)
            .split('|')
            .map((s) => s.trim());
    if (uid === '') {
      problems.push(`entry ${index + 1} has no client uid (expected uid:secret1|secret2)`);
    } else if (secrets.length === 0 || secrets.some((s) => s === '')) {
      problems.push(`client "${uid}" needs one or more non-empty secrets (expected uid:secret1|secret2)`);
    } else if (clients.some((c) => c.uid === uid)) {
      problems.push(`client "${uid}" is listed twice`);
    } else {
      clients.push({ uid, secrets, scopes: DEFAULT_CLIENT_SCOPES });
    }
  });
  return { clients, problems };
}
