import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EMULATOR_CONFIG, EmulatorClient, EmulatorConfig } from '../config/emulator-config';
import { ClientCredentials } from './oauth-client-auth';
import { OAuthErrors } from './oauth.errors';

/** Checks client credentials against the configured applications and their secrets. */
@Injectable()
export class ClientAuthenticatorService {
  private clients: ReadonlyMap<string, EmulatorClient>;

  constructor(@Inject(EMULATOR_CONFIG) private readonly config: EmulatorConfig) {
    this.clients = new Map(config.clients.map((client) => [client.uid, client]));
  }

  /** Admin API: replaces an application's secrets (a secret added or revoked on Proof). */
  setSecrets(uid: string, secrets: readonly string[]): boolean {
    const client = this.clients.get(uid);
    if (!client) return false;
    this.clients = new Map(this.clients).set(uid, { ...client, secrets: [...secrets] });
    return true;
  }

  /** Admin API reset: back to the configured secrets. */
  resetSecrets(): void {
    this.clients = new Map(this.config.clients.map((client) => [client.uid, client]));
  }

  isKnown(clientId: string | undefined): clientId is string {
    return clientId !== undefined && this.clients.has(clientId);
  }

  /** The application, or the 401 invalid_client Doorkeeper answers for any failure. */
  authenticate(credentials: ClientCredentials | undefined): EmulatorClient {
    const client = credentials ? this.clients.get(credentials.clientId) : undefined;
    const secret = credentials?.clientSecret ?? '';
    // Any one of the application's secrets is valid (Proof allows several, for rotation).
    if (!client || !client.secrets.some((known) => sameSecret(known, secret))) {
      throw OAuthErrors.invalidClient();
    }
    return client;
  }
}

// Compares digests so that the time taken says nothing about the secret.
function sameSecret(expected: string, given: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
