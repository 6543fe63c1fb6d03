import * as z from 'zod';

const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/; // RFC 6749 §3.3

/**
 * A resource server (an API) in a seed. `identifier` is its resource indicator: an
 * absolute URI without a fragment (RFC 8707 §2). Clients get JWT access tokens for it
 * (RFC 9068) when `access_token_format` is "jwt", opaque ones otherwise.
 */
export const resourceServerSchema = z.strictObject({
  $comment: z.unknown().optional(),
  identifier: z.string()
    .refine((s) => URL.canParse(s), 'must be an absolute URI (RFC 8707 §2)')
    .refine((s) => !s.includes('#'), 'must not contain a fragment (RFC 8707 §2)'),
  scope: z.string().regex(SCOPE, 'must be space-separated scope tokens (RFC 6749 §3.3)'),
  access_token_format: z.enum(['opaque', 'jwt']).default('opaque'),
  access_token_ttl: z.int().min(1).max(86_400).optional(),
  jwt_alg: z.enum(['ES256', 'RS256', 'EdDSA']).optional(),
});

export type SeedResourceServer = z.output<typeof resourceServerSchema>;
