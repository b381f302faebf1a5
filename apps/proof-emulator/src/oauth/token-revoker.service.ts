import { Inject, Injectable } from '@nestjs/common';
import { EMULATOR_CONFIG, EmulatorConfig } from '../config/emulator-config';
import { ClientAuthenticatorService } from './client-authenticator.service';
import { clientCredentialsOf } from './oauth-client-auth';
import { assertFormEncoded, oauthParamsOf } from './oauth-params';
import { OAuthRequest } from './oauth-request';
import { OAuthErrors } from './oauth.errors';
import { TokenRegistryService } from './token-registry.service';

/** POST /oauth/v2/revoke (RFC 7009) as Doorkeeper serves it to confidential clients. */
@Injectable()
export class TokenRevokerService {
  constructor(
    @Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig,
    private readonly clients: ClientAuthenticatorService,
    private readonly registry: TokenRegistryService,
  ) {}

  revoke(request: OAuthRequest): Record<string, never> {
    if (this.config.enforceContentType) assertFormEncoded(request);
    const params = oauthParamsOf(request, !this.config.enforceContentType);
    const client = this.clients.authenticate(clientCredentialsOf(request.authorization, params));
    const token = params['token'] ? this.registry.find(params['token']) : undefined;
    // RFC 7009 §2.2: an unknown (or already invalid) token is answered 200 all the same.
    if (!token) return {};
    if (token.clientId !== client.uid) throw OAuthErrors.notTokenOwner();
    this.registry.revoke(token.token);
    return {};
  }
}
