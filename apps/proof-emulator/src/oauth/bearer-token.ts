/** The token of an `Authorization: Bearer <token>` header (Doorkeeper's from_bearer_authorization). */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
