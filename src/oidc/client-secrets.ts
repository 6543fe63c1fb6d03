import type Provider from 'oidc-provider';

export interface SecretVerifier {
  verify(stored: string, presented: string): boolean;
}

/**
 * Client secrets are stored only as keyed hashes (HMAC-SHA-256 with the server pepper),
 * so node-oidc-provider's plain comparison is replaced by a keyed one. It stays cheap:
 * it runs on every client_secret_basic / client_secret_post request at the token,
 * introspection and revocation endpoints. client_secret_jwt needs the plain secret and
 * is therefore not offered (see clientAuthMethods in provider.ts).
 */
export function useHashedClientSecrets(provider: Provider, secrets: SecretVerifier): void {
  const proto = provider.Client.prototype as unknown as {
    clientSecret?: string;
    compareClientSecret(actual: string): Promise<boolean> | boolean;
  };
  proto.compareClientSecret = function compareHashedClientSecret(this: { clientSecret?: string }, actual: string) {
    const stored = this.clientSecret;
    return typeof stored === 'string' && typeof actual === 'string' && secrets.verify(stored, actual);
  };
}
