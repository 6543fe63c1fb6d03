import type Provider from 'oidc-provider';

export interface SecretVerifier {
  verify(stored: string, presented: string): boolean;
}

/**
 * The secret a rotation replaced, kept (as its keyed hash) in the client's metadata
 * under `client_secret_previous` so deployed callers keep working until they pick up
 * the new one. `expires_at` is in epoch seconds, like RFC 7591's `client_secret_expires_at`.
 */
export interface PreviousClientSecret {
  hash: string;
  expires_at: number;
}

export const isPreviousClientSecret = (value: unknown): value is PreviousClientSecret =>
  typeof value === 'object' && value !== null
  && typeof (value as PreviousClientSecret).hash === 'string'
  && Number.isSafeInteger((value as PreviousClientSecret).expires_at);

/**
 * Client secrets are stored only as keyed hashes (HMAC-SHA-256 with the server pepper),
 * so node-oidc-provider's plain comparison is replaced by a keyed one. It stays cheap:
 * it runs on every client_secret_basic / client_secret_post request at the token,
 * introspection and revocation endpoints — at most two HMACs, the second only while a
 * rotated-out secret is still inside its overlap. client_secret_jwt needs the plain
 * secret and is therefore not offered (see clientAuthMethods in provider.ts).
 */
export function useHashedClientSecrets(provider: Provider, secrets: SecretVerifier, now: () => number = Date.now): void {
  const proto = provider.Client.prototype as unknown as {
    compareClientSecret(actual: string): Promise<boolean> | boolean;
  };
  // Extra metadata keeps its snake_case name on the Client instance (lib/models/client.js).
  proto.compareClientSecret = function compareHashedClientSecret(
    this: { clientSecret?: string; client_secret_previous?: unknown }, actual: string,
  ) {
    if (typeof actual !== 'string') return false;
    const stored = this.clientSecret;
    if (typeof stored === 'string' && secrets.verify(stored, actual)) return true;
    const previous = this.client_secret_previous;
    return isPreviousClientSecret(previous) && previous.expires_at * 1000 > now() && secrets.verify(previous.hash, actual);
  };
}
