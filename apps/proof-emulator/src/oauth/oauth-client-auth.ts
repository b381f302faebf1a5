import { OAuthParams } from './oauth-params';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The client credentials of a request, the way Doorkeeper's default
 * `client_credentials :from_basic, :from_params` finds them: HTTP Basic first, then the
 * `client_id` / `client_secret` form fields. Basic parts are form-urlencoded before
 * base64 (RFC 6749 §2.3.1), so they are decoded.
 */
export function clientCredentialsOf(
  authorization: string | undefined,
  params: OAuthParams,
): ClientCredentials | undefined {
  return fromBasic(authorization) ?? fromParams(params);
}

/** Only the client id of a Basic header, to attribute requests before the body is read. */
export function basicClientIdOf(authorization: string | undefined): string | undefined {
  return fromBasic(authorization)?.clientId;
}

function fromBasic(authorization: string | undefined): ClientCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
}

function fromParams(params: OAuthParams): ClientCredentials | undefined {
  const clientId = params['client_id'];
  if (!clientId) return undefined;
  return { clientId, clientSecret: params['client_secret'] ?? '' };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
