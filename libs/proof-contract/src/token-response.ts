/** 200 body of POST /oauth/v2/token: `expires_in` is seconds remaining from now. */
export interface ProofTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  /** Issue time in Unix seconds, on the server's clock. */
  created_at: number;
}

/** 200 body of GET /oauth/v2/token/info (Doorkeeper's own shape). */
export interface ProofTokenInfoResponse {
  resource_owner_id: null;
  scope: string[];
  expires_in: number;
  application: { uid: string };
  created_at: number;
}
