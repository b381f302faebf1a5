/** Error codes Doorkeeper puts in `{"error": ...}` bodies (RFC 6749 §5.2, RFC 6750 §3.1). */
export const OAuthErrorCode = {
  InvalidClient: 'invalid_client',
  InvalidRequest: 'invalid_request',
  InvalidScope: 'invalid_scope',
  UnsupportedGrantType: 'unsupported_grant_type',
  InvalidToken: 'invalid_token',
} as const;

export type OAuthErrorCode = (typeof OAuthErrorCode)[keyof typeof OAuthErrorCode];

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
  state?: string;
}

export function isOAuthErrorBody(body: unknown): body is OAuthErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'string' && (Object.values(OAuthErrorCode) as string[]).includes(error);
}
