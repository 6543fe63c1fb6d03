import * as z from 'zod';

import type { PreviousClientSecret } from '../../oidc/client-secrets.ts';
import { generateClientSecret, type SecretHasher } from '../../security/client-secrets.ts';
import type { StoredClient } from '../../stores/client-directory.ts';

export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

export const rotateBody = z.strictObject({
  overlap_seconds: z.int().min(0).max(MAX_OVERLAP_SECONDS).optional()
    .describe(`how long the replaced secret keeps working (default ${DEFAULT_OVERLAP_SECONDS}; 0: it dies now)`),
});

/**
 * A new server-generated secret (256 bits, see security/client-secrets.ts); only its
 * keyed hash is stored, the plain value goes to the caller once.
 */
export function withNewSecret(client: StoredClient, hasher: Pick<SecretHasher, 'hash'>): { client: StoredClient; secret: string } {
  const secret = generateClientSecret();
  return { client: { ...client, client_secret: hasher.hash(secret) }, secret };
}

/**
 * Rotation: the current hash becomes `client_secret_previous` for `overlapSeconds`, so
 * callers can switch without an outage. Only one previous secret is kept: rotating
 * again inside the overlap ends the older one at once.
 */
export function rotateSecret(
  client: StoredClient, hasher: Pick<SecretHasher, 'hash'>, overlapSeconds = DEFAULT_OVERLAP_SECONDS, now = Date.now(),
): { client: StoredClient; secret: string } {
  const { client_secret_previous: _old, ...rest } = client;
  const current = client.client_secret;
  const next = withNewSecret(rest as StoredClient, hasher);
  if (overlapSeconds > 0 && typeof current === 'string') {
    const previous: PreviousClientSecret = { hash: current, expires_at: Math.floor(now / 1000) + overlapSeconds };
    next.client.client_secret_previous = previous;
  }
  return next;
}
