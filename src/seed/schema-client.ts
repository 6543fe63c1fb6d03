import * as z from 'zod';
import { Redacted } from './redacted.ts';

/**
 * One client in a seed, in RFC 7591 §2 metadata names. What we refuse, and why:
 * - `client_secret_jwt`: the secret is stored only as a keyed hash, so the server cannot
 *   verify HMAC client assertions made with it (OIDC Core §9).
 * - response types other than "code": implicit and hybrid flows are not offered
 *   (RFC 9700 §2.1.2).
 * - grants other than authorization_code, refresh_token, client_credentials, the device
 *   code and token exchange (the password grant is forbidden by RFC 9700 §2.4).
 */
export const GRANT_TYPES = [
  'authorization_code', 'refresh_token', 'client_credentials',
  // RFC 8628: CLIs and TVs; the person signs in on another device.
  'urn:ietf:params:oauth:grant-type:device_code',
  // RFC 8693, only with TOKEN_EXCHANGE=on (the provider refuses it otherwise): docs/token-exchange.md.
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;
// The two RFC 8705 methods are accepted by the provider only with MTLS=on (docs/mtls.md).
export const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] as const;
const SECRET_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post'];
const SIGNING_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;

/** Pre-hashed secrets ("$hmac-sha256$…", from an export) are kept as they are. */
export const MIN_CLIENT_SECRET_LENGTH = 32;

const VSCHAR = /^[\x20-\x7E]+$/; // RFC 6749 Appendix A.1: client_id = *VSCHAR
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/; // RFC 6749 §3.3
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const absoluteUrl = z.string().refine((s) => URL.canParse(s), 'must be an absolute URL');
/** RFC 6749 §3.1.2: an absolute URI without a fragment component. */
const redirectUri = absoluteUrl.refine((s) => !s.includes('#'), 'must not contain a fragment (RFC 6749 §3.1.2)');

const jwk = z.looseObject({ kty: z.string() }).superRefine((key, ctx) => {
  const priv = PRIVATE_JWK_MEMBERS.find((m) => m in key);
  if (priv) ctx.addIssue({ code: 'custom', message: `must be a public key (has private member "${priv}")` });
});

const authMethod = z.enum(AUTH_METHODS, {
  error: (iss) => iss.input === 'client_secret_jwt'
    ? '"client_secret_jwt" is not supported: client secrets are stored hashed, so HMAC client assertions cannot be verified; use "private_key_jwt" or "client_secret_basic"'
    : undefined,
});

/** The RFC 7591 fields, shared by the seed (schema-seed-client.ts) and the admin API (admin/clients/metadata.ts). */
export const clientFields = {
  $comment: z.unknown().optional(),
  client_id: z.string().min(1).max(255).regex(VSCHAR, 'must be printable ASCII (RFC 6749 Appendix A.1)'),
  client_secret: z.string()
    .min(MIN_CLIENT_SECRET_LENGTH, `must be at least ${MIN_CLIENT_SECRET_LENGTH} characters (use a generated secret)`)
    .transform((s) => new Redacted(s))
    .optional(),
  client_name: z.string().min(1).max(200).optional(),
  redirect_uris: z.array(redirectUri).optional(),
  post_logout_redirect_uris: z.array(absoluteUrl).optional(),
  // OIDC Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed; no fragment.
  backchannel_logout_uri: absoluteUrl
    .refine((s) => /^https?:/.test(s) && !s.includes('#'), 'must be an http(s) URL without a fragment (Back-Channel Logout 1.0 §2.2)').optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  // RFC 7591 §2 defaults: grant_types ["authorization_code"], auth method client_secret_basic.
  // May be empty: a resource server registered only to call introspection has no grant.
  grant_types: z.array(z.enum(GRANT_TYPES)).default(['authorization_code']),
  response_types: z.array(z.literal('code', { error: 'only "code" is supported (RFC 9700 §2.1.2)' })).optional(),
  token_endpoint_auth_method: authMethod.default('client_secret_basic'),
  token_endpoint_auth_signing_alg: z.enum(SIGNING_ALGS).optional(),
  scope: z.string().regex(SCOPE, 'must be space-separated scope tokens (RFC 6749 §3.3)').optional(),
  /** Gatehouse extension: a first-party client skips the consent page. */
  first_party: z.boolean().optional(),
  /** Gatehouse extension: the RATE_LIMIT_TIERS tier this client is limited by (default: authenticated). */
  rate_limit_tier: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a tier name (lower-case letters, digits, _ and -)').optional(),
  jwks: z.strictObject({ keys: z.array(jwk).min(1) }).optional(),
  jwks_uri: absoluteUrl.refine((s) => s.startsWith('https:'), 'must be an https URL').optional(),
  application_type: z.enum(['web', 'native']).optional(),
  id_token_signed_response_alg: z.enum(SIGNING_ALGS).optional(),
  client_uri: absoluteUrl.optional(),
  logo_uri: absoluteUrl.optional(),
  tos_uri: absoluteUrl.optional(),
  policy_uri: absoluteUrl.optional(),
  contacts: z.array(z.string().min(1)).optional(),
  default_max_age: z.int().min(0).optional(),
  require_auth_time: z.boolean().optional(),
  // RFC 9449 §5.2: every token request must carry a DPoP proof (docs/dpop.md).
  dpop_bound_access_tokens: z.boolean().optional(),
  // RFC 9126 §6: /auth accepts only a request_uri from /request (docs/par.md).
  require_pushed_authorization_requests: z.boolean().optional(),
  // RFC 9701 §6: how introspection answers asked for as JWTs are signed (docs/jwt-introspection.md).
  introspection_signed_response_alg: z.enum(['ES256', 'RS256', 'EdDSA'], { error: 'must be ES256, RS256 or EdDSA, the algorithms Gatehouse signs with' }).optional(),
  // OIDC Core §5.3.2: userinfo answered as a JWT signed with this algorithm (JSON without it).
  userinfo_signed_response_alg: z.enum(['ES256', 'RS256', 'EdDSA'], { error: 'must be ES256, RS256 or EdDSA, the algorithms Gatehouse signs with' }).optional(),
  // RFC 8705 §2.1.2: the one certificate subject a tls_client_auth client is known by;
  // §3.4: tokens bound to the client certificate (docs/mtls.md).
  tls_client_auth_subject_dn: z.string().min(1).optional(),
  tls_client_auth_san_dns: z.string().min(1).optional(),
  tls_client_auth_san_uri: absoluteUrl.optional(),
  tls_client_auth_san_ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).optional(),
  tls_client_auth_san_email: z.email().optional(),
  tls_client_certificate_bound_access_tokens: z.boolean().optional(),
};
type ClientInput = z.output<z.ZodObject<typeof clientFields>>;

/** Back-Channel Logout 1.0 §2.2: plain http only for a confidential client. */
export const HTTPS_FOR_PUBLIC_CLIENTS = 'must be an https URL for a public client (Back-Channel Logout 1.0 §2.2)';

const TLS_SUBJECTS = [
  'tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email',
] as const;

/** The cross-field rules of RFC 7591 §2 and Gatehouse's profile. */
export function checkClient(c: ClientInput, ctx: z.RefinementCtx): void {
  const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const method = c.token_endpoint_auth_method;
  const code = c.grant_types.includes('authorization_code');

  if (SECRET_METHODS.includes(method) && !c.client_secret) {
    problem('client_secret', `is required for a confidential client (token_endpoint_auth_method "${method}")`);
  }
  if (!SECRET_METHODS.includes(method) && c.client_secret) {
    problem('client_secret', `must not be set with token_endpoint_auth_method "${method}"`);
  }
  if (method === 'private_key_jwt' && !c.jwks && !c.jwks_uri) {
    problem('jwks', 'is required (or jwks_uri) for token_endpoint_auth_method "private_key_jwt"');
  }
  if (method === 'self_signed_tls_client_auth' && !c.jwks && !c.jwks_uri) {
    problem('jwks', 'is required (or jwks_uri), with the certificate in "x5c", for token_endpoint_auth_method "self_signed_tls_client_auth"');
  }
  const subjects = TLS_SUBJECTS.filter((k) => c[k] !== undefined);
  if (method === 'tls_client_auth' && subjects.length !== 1) {
    problem('token_endpoint_auth_method', `"tls_client_auth" needs exactly one of ${TLS_SUBJECTS.join(', ')} (RFC 8705 §2.1.2)`);
  }
  if (method !== 'tls_client_auth' && subjects.length > 0) problem(subjects[0]!, 'is only for token_endpoint_auth_method "tls_client_auth"');
  if (method === 'none' && c.grant_types.includes('client_credentials')) {
    problem('grant_types', 'client_credentials needs a confidential client, not token_endpoint_auth_method "none" (RFC 6749 §4.4)');
  }
  if (code && !c.redirect_uris?.length) problem('redirect_uris', 'is required for the authorization_code grant');
  if (c.response_types?.length && !code) problem('response_types', '"code" requires the authorization_code grant');
  if (c.response_types?.length === 0 && code) problem('response_types', 'must be ["code"] for the authorization_code grant');
  if (method === 'none' && c.backchannel_logout_uri?.startsWith('http:')) problem('backchannel_logout_uri', HTTPS_FOR_PUBLIC_CLIENTS);
}

/** RFC 7591 §2.1: response_types and grant_types must agree; "code" iff authorization_code. */
export const withDerivedFields = <C extends ClientInput>(c: C) => ({
  ...c,
  response_types: c.grant_types.includes('authorization_code') ? ['code'] : [],
  redirect_uris: c.redirect_uris ?? [],
});

export const clientSchema = z.strictObject(clientFields).superRefine(checkClient).transform(withDerivedFields);

export type SeedClient = z.output<typeof clientSchema>;
