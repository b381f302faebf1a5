import { FORM_CONTENT_TYPE } from '@app/proof-contract';
import { OAuthRequest } from './oauth-request';
import { OAuthErrors } from './oauth.errors';

export type OAuthParams = Readonly<Record<string, string>>;

/**
 * Doorkeeper's enforce_content_type: a POST that is not form-encoded gets 415 `{}`
 * before anything else is looked at. `; charset=...` is fine (Rails compares the media
 * type), a missing Content-Type is not.
 */
export function assertFormEncoded(request: OAuthRequest): void {
  if (request.mediaType !== FORM_CONTENT_TYPE) throw OAuthErrors.unsupportedMediaType();
}

/**
 * The request's OAuth parameters: the form body, or, when `acceptJson` (enforcement
 * off), a JSON body as Rails would have parsed it into params; nothing otherwise.
 * Query-string parameters are ignored on purpose: a broker must not rely on them.
 */
export function oauthParamsOf(request: OAuthRequest, acceptJson: boolean): OAuthParams {
  if (request.mediaType === FORM_CONTENT_TYPE) return Object.fromEntries(new URLSearchParams(request.body));
  const isJson = request.mediaType === 'application/json' || request.mediaType?.endsWith('+json') === true;
  return acceptJson && isJson ? jsonParams(request.body) : {};
}

function jsonParams(body: string): OAuthParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  // Only scalar values become parameters, stringified as Rails would.
  const entries = Object.entries(parsed).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v));
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}
