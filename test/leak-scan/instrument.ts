// setupFilesAfterEnv: runs in every test file's module registry before its tests, so the
// emulator the tests start in-process is this very class. Every token it issues goes to
// the leak scan's ledger; nothing else changes.
import { TokenRegistryService } from '../../apps/proof-emulator/src/oauth/token-registry.service';
import { recordSecret } from '../support/leak-ledger';

const issue = TokenRegistryService.prototype.issue;
TokenRegistryService.prototype.issue = function issueAndRecord(
  this: TokenRegistryService,
  ...args: Parameters<typeof issue>
) {
  const grant = issue.apply(this, args);
  recordSecret('access-token', grant.token.token);
  return grant;
};
