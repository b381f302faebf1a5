import { ROLES, Role } from '../config/broker-config';
import { generateCallerKey } from '../auth/caller-key';

/**
 * `npm run broker:keygen -- <name> [role,role] [profile,profile]`: prints a new caller key
 * (give it to the service, once) and the JSON entry to add to BROKER_CALLERS_FILE.
 */
function main(argv: string[]): number {
  const [name, roleList = 'token:read', profileList = 'default'] = argv;
  const roles = roleList.split(',').filter(Boolean);
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (!name || unknown.length > 0) {
    process.stderr.write(`usage: npm run broker:keygen -- <caller-name> [${ROLES.join(',')}] [profile,...|*]\n`);
    if (unknown.length > 0) process.stderr.write(`unknown role(s): ${unknown.join(', ')}\n`);
    return 2;
  }
  const { key, entry } = generateCallerKey(name, roles as Role[], profileList.split(',').filter(Boolean));
  process.stdout.write(`caller key (shown once, give it to ${name}): ${key}\n`);
  process.stdout.write(`entry for BROKER_CALLERS_FILE:\n${JSON.stringify(entry, null, 2)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
