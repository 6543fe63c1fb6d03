import type { Client, Configuration } from 'oidc-provider';

import type { ClientFields } from '../admin/clients/metadata.ts';
import { createAddressGuard, STRICT_POLICY, type AddressPolicy, type Resolver } from '../security/ssrf.ts';
import type { RegistrationConfig } from './registration-config.ts';
import { allowanceFor } from './registration-http.ts';
import { applyPolicy, checkMetadataUrls, GATEHOUSE_EXTENSIONS } from './registration-policy.ts';

type Feature = NonNullable<NonNullable<Configuration['features']>['clientIdMetadataDocument']>;

/**
 * OAuth Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document, as
 * node-oidc-provider 9 implements it, draft 02): a client whose `client_id` is an https
 * URL is described by the JSON document at that URL, with no registration beforehand —
 * how MCP clients sign in. Off unless CLIENT_ID_METADATA_DOCUMENT=on.
 *
 * - Fetching: node-oidc-provider fetches through the `fetch` option, which Gatehouse's SSRF
 *   guard wraps (http/guarded-fetch.ts): no internal address is ever connected to (unless
 *   CLIENT_URLS_ALLOW_PRIVATE / _ALLOWED_CIDRS open some: `policy`), and at most 5 KiB are
 *   read (the provider's limit for these documents).
 * - The provider refuses secrets in the document (only `none` or `private_key_jwt`).
 * - Gatehouse holds the client to the open-registration policy (registration-policy.ts)
 *   every time it is used: configured grants (never client_credentials) and scopes,
 *   https / loopback redirect URIs, no internal URLs, and none of Gatehouse's own metadata
 *   (a document must not make itself `first_party` and skip consent).
 */
export function clientIdMetadataDocument(config: RegistrationConfig, options: { policy?: AddressPolicy; resolve?: Resolver } = {}): Feature {
  const allowance = allowanceFor(config, 'open');
  const guard = createAddressGuard(options.policy ?? STRICT_POLICY);
  return {
    enabled: config.clientIdMetadataDocument,
    // The draft version this code was written against: a provider update to another
    // draft fails the start instead of silently changing behaviour.
    ack: 'draft-02',
    async allowClient(_ctx, client: Client) {
      const metadata = client.metadata() as Record<string, unknown>;
      if (GATEHOUSE_EXTENSIONS.some((name) => metadata[name] !== undefined)) return false;
      try {
        const checked = applyPolicy({
          grant_types: metadata.grant_types, scope: metadata.scope, redirect_uris: metadata.redirect_uris,
          post_logout_redirect_uris: metadata.post_logout_redirect_uris, application_type: metadata.application_type,
          jwks_uri: metadata.jwks_uri, client_uri: metadata.client_uri, logo_uri: metadata.logo_uri,
          tos_uri: metadata.tos_uri, policy_uri: metadata.policy_uri,
        } as ClientFields, allowance);
        await checkMetadataUrls(metadata, guard, options.resolve);
        // A document without `scope` would otherwise let the client ask for every scope the
        // server knows (admin ones included): it gets the self-registration scopes. The
        // provider builds a fresh Client for each request from its cached document, and
        // calls this before the client is used, so this copy is the one the request uses.
        if (client.scope === undefined) (client as { scope?: string }).scope = checked.scope;
        return true;
      } catch {
        return false;
      }
    },
  };
}
