import { isIP } from 'node:net';

import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';

import { clientBody, type ClientFields } from '../admin/clients/metadata.ts';
import { GatehouseError } from '../errors.ts';
import { createAddressGuard, hostOf, STRICT_POLICY, systemResolver, type AddressGuard, type Resolver } from '../security/ssrf.ts';
import type { StoredClient } from '../stores/client-directory.ts';

/**
 * What a client may say about itself when it registers (RFC 7591 §2), and the limits
 * Gatehouse puts on it. The metadata is checked exactly as the admin API checks it
 * (admin/clients/metadata.ts), then held to the self-registration policy, then to
 * node-oidc-provider's own rules; refusals use RFC 7591 §3.2.2's error codes.
 */

/** RFC 7591 §2 fields a client may set by itself; anything else it sends is ignored (§2: MUST ignore). */
export const SELF_REGISTERED_FIELDS = [
  'client_name', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg', 'scope', 'jwks', 'jwks_uri', 'application_type', 'id_token_signed_response_alg',
  'client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'contacts', 'default_max_age', 'require_auth_time',
  // Each of these only makes the client stricter, or tells the server where to send logout tokens.
  'dpop_bound_access_tokens', 'require_pushed_authorization_requests', 'introspection_signed_response_alg', 'userinfo_signed_response_alg',
  'backchannel_logout_uri', 'backchannel_logout_session_required',
  // RFC 8705 (MTLS=on; the provider refuses these methods otherwise): which certificate the
  // client authenticates with. Naming a subject gives nothing to whoever lacks a certificate
  // with it from a CA Gatehouse trusts; §2.1.2 defines these for dynamic registration.
  'tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip',
  'tls_client_auth_san_email', 'tls_client_certificate_bound_access_tokens',
] as const;

/** Gatehouse's own client metadata: decided by an administrator, refused when a client sends it. */
export const GATEHOUSE_EXTENSIONS: readonly string[] = [
  'first_party', 'org_id', 'service_account', 'ip_allow_list', 'client_secret_previous', 'rate_limit_tier',
  'registered_dynamically', 'registered_at', 'registration_status', 'registration_via', 'registration_used_at', 'registration_iat',
];

/** Fields of the server's choosing that a client sends back in an RFC 7592 update (§2.2 forbids some; these we just drop). */
const SERVER_FIELDS = ['client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at'];

/** URLs a person's browser is sent to or shown (logo), or that the server fetches or posts to (jwks_uri, logout tokens). */
const URL_FIELDS = ['jwks_uri', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'backchannel_logout_uri'] as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export const invalidMetadata = (description: string) => new GatehouseError(400, 'invalid_client_metadata', description);
export const invalidRedirectUri = (description: string) => new GatehouseError(400, 'invalid_redirect_uri', description);

/** What one registration may ask for. */
export interface Allowance {
  grantTypes: ReadonlySet<string>;
  scopes: readonly string[];
  /** client_credentials only with an initial access token: an open registration must not mint service credentials. */
  clientCredentials: boolean;
}

/** The registration request's metadata, checked as the admin API checks a new client; throws RFC 7591 errors. */
export function parseMetadata(body: unknown): ClientFields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidMetadata('the request body must be a JSON object');
  const input = body as Record<string, unknown>;
  const extension = GATEHOUSE_EXTENSIONS.find((name) => input[name] !== undefined);
  if (extension !== undefined) throw invalidMetadata(`${extension}: is decided by an administrator, not by the client`);
  // RFC 7591 §3.2.2: Gatehouse approves no software statements.
  if (input.software_statement !== undefined) {
    throw new GatehouseError(400, 'unapproved_software_statement', 'software statements are not accepted by this server');
  }
  const picked = Object.fromEntries(SELF_REGISTERED_FIELDS.filter((name) => input[name] !== undefined).map((name) => [name, input[name]]));
  const result = clientBody.safeParse(picked);
  // OIDC Registration §2: a client that names no ID token algorithm gets RS256 (the
  // server's own default for administered clients, ES256, is not what such a client expects).
  if (result.success) return { id_token_signed_response_alg: 'RS256', ...result.data };
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String).join('.') || 'body';
  const message = `${path}: ${issue.message}`;
  throw path.startsWith('redirect_uris') ? invalidRedirectUri(message) : invalidMetadata(message);
}

/** Why a redirect URI is not acceptable for a self-registered client, or undefined. */
export function redirectRefusal(uri: string, applicationType: string | undefined): string | undefined {
  const url = URL.parse(uri);
  if (!url) return 'must be an absolute URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.protocol === 'https:') return undefined;
  // RFC 8252 §7.3: a native app listens on the loopback interface, on a port of its choosing.
  if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.host.replace(/:\d+$/, '')) ? undefined : 'http is only for loopback addresses (RFC 8252 §7.3); use https';
  // RFC 8252 §7.1: a private-use scheme, in reverse domain name notation, for native apps only.
  const scheme = url.protocol.slice(0, -1);
  if (applicationType === 'native' && scheme.includes('.')) return undefined;
  return `the "${scheme}" scheme is not accepted (https, loopback http, or a reverse-domain scheme for native apps)`;
}

/** The self-registration policy on metadata already checked by parseMetadata; returns it with its scope set. */
export function applyPolicy(fields: ClientFields, allowance: Allowance): ClientFields {
  for (const grant of fields.grant_types) {
    if (!allowance.grantTypes.has(grant) || (grant === 'client_credentials' && !allowance.clientCredentials)) {
      throw invalidMetadata(`grant_types: "${grant}" may not be self-registered${grant === 'client_credentials' ? ' without an initial access token' : ''}`);
    }
  }
  const requested = fields.scope?.split(' ');
  const outside = requested?.find((s) => !allowance.scopes.includes(s));
  if (outside !== undefined) throw invalidMetadata(`scope: "${outside}" may not be self-registered`);
  for (const uri of fields.redirect_uris) {
    const why = redirectRefusal(uri, fields.application_type);
    if (why) throw invalidRedirectUri(`redirect_uris: ${uri}: ${why}`);
  }
  for (const uri of fields.post_logout_redirect_uris ?? []) {
    const why = redirectRefusal(uri, fields.application_type);
    if (why) throw invalidMetadata(`post_logout_redirect_uris: ${uri}: ${why}`);
  }
  for (const field of URL_FIELDS) {
    const value = fields[field];
    if (value !== undefined && !value.startsWith('https:')) throw invalidMetadata(`${field}: must be an https URL`);
  }
  // RFC 7591 §2 lets the server choose a default; without one node-oidc-provider would
  // let the client ask for every scope it knows.
  return { ...fields, scope: requested ? fields.scope : allowance.scopes.join(' ') };
}

/** A copy of an update body without the fields the server sets itself. */
export function withoutServerFields(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([name]) => !SERVER_FIELDS.includes(name)));
}

/** Logout receivers of self-registered clients stay public-only whatever CLIENT_URLS_* say. */
const strictGuard = createAddressGuard(STRICT_POLICY);

/**
 * SSRF at registration, as for the admin API's jwks_uri (admin/clients/checks.ts), for
 * every URL of the metadata: one naming or resolving to an address `guard` refuses (the
 * CLIENT_URLS_* policy: public addresses only unless opened) is refused. A name that does
 * not resolve yet passes; the fetch-time guard (http/guarded-fetch.ts) checks again at
 * every fetch. Redirect URIs are not checked: the server never calls them, and loopback
 * ones are how native apps work.
 */
export async function checkMetadataUrls(client: Record<string, unknown>, guard: AddressGuard, resolve: Resolver = systemResolver): Promise<void> {
  for (const field of URL_FIELDS) {
    const value = client[field];
    const url = typeof value === 'string' ? URL.parse(value) : null;
    if (!url) continue;
    const host = hostOf(url);
    const addresses = isIP(host) ? [host] : await resolve(host).catch(() => []);
    const fieldGuard = field === 'backchannel_logout_uri' ? strictGuard : guard;
    for (const address of addresses) {
      const reason = fieldGuard.refusalOf(address);
      if (reason !== undefined) throw invalidMetadata(`${field}: must not point to an internal address (${reason})`);
    }
  }
}

/** node-oidc-provider's rules (those it applies when it loads the client), as RFC 7591 errors. */
export async function validateForProvider(provider: Pick<Provider, 'Client'>, client: StoredClient): Promise<void> {
  try {
    await provider.Client.validate(client as never);
  } catch (err) {
    if (err instanceof errors.InvalidRedirectUri) throw invalidRedirectUri(err.error_description ?? err.message);
    if (err instanceof errors.InvalidClientMetadata) throw invalidMetadata(err.error_description ?? err.message);
    throw err;
  }
}

/** What RFC 7591 §3.2.1 and RFC 7592 §3 show of a registration: its metadata, never a secret or Gatehouse's bookkeeping. */
export function registrationView(client: StoredClient): Record<string, unknown> {
  const shown: Record<string, unknown> = { client_id: client.client_id };
  if (client.client_id_issued_at !== undefined) shown.client_id_issued_at = client.client_id_issued_at;
  for (const name of SELF_REGISTERED_FIELDS) if (client[name] !== undefined) shown[name] = client[name];
  return shown;
}
