import { ProofTokenResponse } from '@app/proof-contract';
import { Inject, Injectable } from '@nestjs/common';
import { EmulatorStatsService } from '../admin/emulator-stats.service';
import { EMULATOR_CONFIG, EmulatorClient, EmulatorConfig } from '../config/emulator-config';
import { ClientAuthenticatorService } from './client-authenticator.service';
import { clientCredentialsOf } from './oauth-client-auth';
import { assertFormEncoded, oauthParamsOf } from './oauth-params';
import { OAuthRequest } from './oauth-request';
import { OAuthErrors } from './oauth.errors';
import { TokenRegistryService } from './token-registry.service';

/** POST /oauth/v2/token for the client_credentials grant, checked in Doorkeeper's order. */
@Injectable()
export class TokenGrantService {
  constructor(
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    private readonly clients: ClientAuthenticatorService,
    private readonly registry: TokenRegistryService,
    private readonly stats: EmulatorStatsService,
  ) {}

  grant(request: OAuthRequest): ProofTokenResponse {
    const params = oauthParamsOf(request, !this.config.enforceContentType);
    const credentials = clientCredentialsOf(request.authorization, params);
    if (this.clients.isKnown(credentials?.clientId)) this.stats.recordClientTokenRequest(credentials.clientId);

    // 1. enforce_content_type is a before_action: it runs before the grant is looked at.
    if (this.config.enforceContentType) assertFormEncoded(request);
    // 2. Doorkeeper picks the grant strategy (missing or unknown grant_type) next,
    const grantType = params['grant_type'];
    if (!grantType) throw OAuthErrors.missingGrantType();
    if (grantType !== 'client_credentials') throw OAuthErrors.unsupportedGrantType();
    // 3. then the strategy validates the client, 4. then the scopes.
    const client = this.clients.authenticate(credentials);
    const scopes = grantedScopes(client, params['scope']);

    const { token, expiresIn } = this.registry.issue(client.uid, scopes);
    return {
      access_token: token.token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope: token.scopes.join(' '),
      created_at: Math.floor(token.issuedAtMs / 1000),
    };
  }
}

/** Requested scopes (space-separated, deduplicated) must all belong to the application. */
function grantedScopes(client: EmulatorClient, requested: string | undefined): string[] {
  const scopes = [...new Set((requested ?? '').split(/\s+/).filter((s) => s !== ''))];
  if (scopes.length === 0) return [...client.scopes];
  if (scopes.some((scope) => !client.scopes.includes(scope))) throw OAuthErrors.invalidScope();
  return scopes;
}
