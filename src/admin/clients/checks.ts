import { isIP } from 'node:net';

import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';

import { badRequest, GatehouseError, notFound } from '../../errors.ts';
import { canSee, isPlatform, type Principal } from '../principal.ts';
import { ADMIN_SCOPES } from '../scopes.ts';
import {
  createAddressGuard, hostOf, STRICT_POLICY, systemResolver, type AddressGuard, type AddressPolicy, type Resolver,
} from '../../security/ssrf.ts';
import { isServiceAccount, orgOf, type ClientDirectory, type StoredClient } from '../../stores/client-directory.ts';

/** The admin API's 400 shape (validate.ts) for one field. */
export const invalid = (path: string, message: string) => badRequest(`invalid body: ${path}: ${message}`, { fields: [{ path, message }] });

export type ClientKind = 'client' | 'service_account';
const LABEL: Record<ClientKind, string> = { client: 'client', service_account: 'service account' };

/**
 * The client if this caller may see it. Another tenant's client does not exist for the
 * caller (404), and /clients and /service-accounts each see only their own kind.
 */
export async function findVisible(directory: ClientDirectory, principal: Principal, id: string, kind: ClientKind): Promise<StoredClient> {
  const client = await directory.find(id);
  if (!client || !canSee(principal, orgOf(client)) || isServiceAccount(client) !== (kind === 'service_account')) {
    throw notFound(`no ${LABEL[kind]} with this id`);
  }
  return client;
}

/** The organization a new client belongs to: the caller's; a platform caller may name one. */
export function ownerOrg(principal: Principal, requested: string | undefined): string | undefined {
  if (isPlatform(principal)) return requested;
  if (requested !== undefined && requested !== principal.orgId) throw invalid('org_id', 'must be your own organization or omitted');
  return principal.orgId;
}

/**
 * What only a platform administrator may give a client. A client-credentials token with
 * admin scopes acts at platform level (authenticate.ts), so an organization admin could
 * otherwise mint a platform credential; and a platform admin gives none it lacks itself.
 * A first-party client skips every user's consent page, which is the platform's call too.
 */
export function checkGrantable(
  principal: Principal, scopes: readonly string[], path: string, firstParty?: boolean, rateLimitTier?: string | null,
): void {
  // A rate-limit tier is a share of the server's capacity: the platform hands it out.
  if (rateLimitTier !== undefined && rateLimitTier !== null && !isPlatform(principal)) {
    throw invalid('rate_limit_tier', 'only a platform administrator may choose a rate-limit tier');
  }
  const admin = scopes.find((s) => ADMIN_SCOPES.includes(s));
  if (admin !== undefined && (!isPlatform(principal) || !principal.scopes.has(admin))) {
    throw invalid(path, isPlatform(principal) ? `"${admin}" is a scope you do not have` : `"${admin}": only a platform administrator may give admin scopes`);
  }
  if (firstParty === true && !isPlatform(principal)) throw invalid('first_party', 'only a platform administrator may mark a client first-party');
}

/**
 * Admin scopes and first-party status only on clients outside every organization, so
 * no organization admin can ever rotate, redirect or delete a client that carries them.
 */
export function checkPlatformOwned(client: StoredClient, scopePath: string): void {
  if (orgOf(client) === undefined) return;
  const admin = typeof client.scope === 'string' ? client.scope.split(' ').find((s) => ADMIN_SCOPES.includes(s)) : undefined;
  if (admin !== undefined) throw invalid(scopePath, `"${admin}": admin scopes are only for clients outside any organization`);
  if (client.first_party === true) throw invalid('first_party', 'only a client outside any organization can be first-party');
}

/**
 * node-oidc-provider's own validation (the rules it applies when it loads the client,
 * so nothing stored can later fail to load). Its errors name no field, so the path is
 * the first known field its description mentions ("redirect_uris must only contain web
 * uris"), else "body"; the error class alone decides that it is a 400.
 */
export async function validateWithProvider(provider: Pick<Provider, 'Client'>, client: StoredClient, fieldNames: readonly string[]): Promise<void> {
  try {
    await provider.Client.validate(client as never);
  } catch (err) {
    if (err instanceof errors.InvalidRedirectUri) throw invalid('redirect_uris', err.error_description ?? err.message);
    if (!(err instanceof errors.InvalidClientMetadata)) throw err;
    const message = err.error_description ?? err.message;
    const path = message.match(/[a-z_]+/g)?.find((word) => fieldNames.includes(word)) ?? 'body';
    throw invalid(path, message);
  }
}

/**
 * SSRF at registration: URLs Gatehouse later calls must not point inside the network: a
 * `jwks_uri` (node-oidc-provider fetches it for private_key_jwt), which follows
 * `policies.clientUrls` (CLIENT_URLS_ALLOW_PRIVATE / _ALLOWED_CIDRS, as at every fetch), and a
 * `backchannel_logout_uri` (logout tokens are POSTed to it), which follows
 * `policies.backchannel` (BACKCHANNEL_LOGOUT_ALLOW_PRIVATE / _ALLOWED_CIDRS, as at delivery).
 * Both are strict unless given.
 * A literal internal address, or a name that resolves to one, is refused naming the
 * field. A name that does not resolve yet is let through: the guard checks again at
 * every fetch and delivery, since DNS answers can change after registration anyway.
 */
export async function checkFetchedUrls(
  client: StoredClient, policies: { clientUrls?: AddressPolicy | undefined; backchannel?: AddressPolicy | undefined } = {},
  resolve: Resolver = systemResolver,
): Promise<void> {
  const fields: [string, AddressGuard][] = [
    ['jwks_uri', createAddressGuard(policies.clientUrls ?? STRICT_POLICY)],
    ['backchannel_logout_uri', createAddressGuard(policies.backchannel ?? STRICT_POLICY)],
  ];
  for (const [field, guard] of fields) {
    const value = client[field];
    if (typeof value !== 'string' || !URL.canParse(value)) continue; // the provider's validation names a malformed URL
    const host = hostOf(new URL(value));
    const addresses = isIP(host) ? [host] : await resolve(host).catch(() => []);
    for (const address of addresses) {
      const reason = guard.refusalOf(address);
      if (reason !== undefined) throw invalid(field, `must not point to an internal address (${reason})`);
    }
  }
}

export const duplicate = (id: string) => new GatehouseError(409, 'conflict', `a client with client_id "${id}" already exists`);
