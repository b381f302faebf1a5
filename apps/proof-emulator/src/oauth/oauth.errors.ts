import { OAuthErrorCode } from '@app/proof-contract';
import { TokenRejection } from './issued-token';

/** Doorkeeper's error body; `error` is wider than the contract's codes (e.g. unauthorized_client). */
export interface DoorkeeperErrorBody {
  readonly error: string;
  readonly error_description: string;
  readonly state?: string;
}

/**
 * An exact Doorkeeper answer: status, headers and body (`undefined` for an empty body).
 * OAuthExceptionFilter writes it out unchanged.
 */
export class OAuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: DoorkeeperErrorBody | Record<string, never> | undefined,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body && 'error' in body ? body.error : `HTTP ${status}`);
    this.name = 'OAuthHttpError';
  }
}

// Descriptions are Doorkeeper's English locale (config/locales/en.yml).
const INVALID_CLIENT =
  'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.';
const INVALID_TOKEN = 'The access token is invalid';
const TOKEN_REJECTION: Record<TokenRejection, string> = {
  expired: 'The access token expired',
  revoked: 'The access token was revoked',
  unknown: INVALID_TOKEN,
};

const wwwAuthenticate = (error: string, description: string) => ({
  'WWW-Authenticate': `Bearer realm="Doorkeeper", error="${error}", error_description="${description}"`,
});

const oauthError = (status: number, error: string, description: string) =>
  new OAuthHttpError(status, { error, error_description: description });

export const OAuthErrors = {
  /** enforce_content_type: Doorkeeper renders `{}` with 415. */
  unsupportedMediaType: () => new OAuthHttpError(415, {}),
  invalidClient: () =>
    new OAuthHttpError(
      401,
      { error: OAuthErrorCode.InvalidClient, error_description: INVALID_CLIENT },
      wwwAuthenticate(OAuthErrorCode.InvalidClient, INVALID_CLIENT),
    ),
  missingGrantType: () => oauthError(400, OAuthErrorCode.InvalidRequest, 'Missing required parameter: grant_type.'),
  unsupportedGrantType: () =>
    oauthError(
      400,
      OAuthErrorCode.UnsupportedGrantType,
      'The authorization grant type is not supported by the authorization server.',
    ),
  invalidScope: () =>
    oauthError(400, OAuthErrorCode.InvalidScope, 'The requested scope is invalid, unknown, or malformed.'),
  /** RFC 7009 §2.1: a client may only revoke its own tokens (Doorkeeper answers 403). */
  notTokenOwner: () => oauthError(403, 'unauthorized_client', 'You are not authorized to revoke this token'),
  /** token/info never says why a token is refused. */
  tokenInfoRefused: () =>
    new OAuthHttpError(
      401,
      { error: OAuthErrorCode.InvalidToken, error_description: INVALID_TOKEN, state: 'unauthorized' },
      wwwAuthenticate(OAuthErrorCode.InvalidToken, INVALID_TOKEN),
    ),
  /** Resource endpoints answer `head :unauthorized`: the reason is only in the header. */
  resourceRefused: (reason: TokenRejection) =>
    new OAuthHttpError(401, undefined, wwwAuthenticate(OAuthErrorCode.InvalidToken, TOKEN_REJECTION[reason])),
};
