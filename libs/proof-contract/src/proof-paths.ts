/** Paths of Proof's Doorkeeper-compatible OAuth server (PROOF_API.md), mounted at /oauth/v2. */
export const PROOF_TOKEN_PATH = '/oauth/v2/token';
export const PROOF_TOKEN_INFO_PATH = '/oauth/v2/token/info';
export const PROOF_REVOKE_PATH = '/oauth/v2/revoke';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
