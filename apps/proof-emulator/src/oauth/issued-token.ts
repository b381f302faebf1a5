/** One access token as the registry keeps it; all times are epoch milliseconds. */
export interface IssuedToken {
  readonly token: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly revokedAtMs: number | null;
}

/** The answer to a grant: the token and its whole seconds left at the time of the grant. */
export interface IssuedGrant {
  readonly token: IssuedToken;
  readonly expiresIn: number;
}

/** Why a token is not accepted; resource endpoints report it in WWW-Authenticate. */
export type TokenRejection = 'expired' | 'revoked' | 'unknown';

export type TokenCheck =
  { readonly ok: true; readonly token: IssuedToken } | { readonly ok: false; readonly reason: TokenRejection };
