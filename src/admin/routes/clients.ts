import { randomUUID } from 'node:crypto';

import * as z from 'zod';
import type Provider from 'oidc-provider';

import { ACCOUNT_CLIENT_ID } from '../../account/client.ts';
import { GatehouseError } from '../../errors.ts';
import type { SecretHasher } from '../../security/client-secrets.ts';
import type { AddressPolicy } from '../../security/ssrf.ts';
import {
  checkGrantable, checkPlatformOwned, duplicate, findVisible, invalid, ownerOrg, validateWithProvider, checkFetchedUrls,
} from '../clients/checks.ts';
import type { ClientDirectory, StoredClient } from '../../stores/client-directory.ts';
import { clientBody, clientPatch, clientView, FIELD_NAMES, mergePatch, publicClient, usesSecret } from '../clients/metadata.ts';
import { rotateBody, rotateSecret, withNewSecret } from '../clients/secret.ts';
import { isPlatform, type Principal } from '../principal.ts';
import { registrationFieldsOf } from '../../oidc/registration-clients.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { validate } from '../validate.ts';

export interface ClientRouteDeps {
  directory: ClientDirectory;
  secrets: Pick<SecretHasher, 'hash'>;
  provider: Pick<Provider, 'Client'>;
  /** Where a `backchannel_logout_uri` may point (BACKCHANNEL_LOGOUT_ALLOW_PRIVATE / _ALLOWED_CIDRS); strict by default. */
  backchannelPolicy?: AddressPolicy;
  /** Where a `jwks_uri` may point (CLIENT_URLS_ALLOW_PRIVATE / _ALLOWED_CIDRS); strict by default. */
  clientUrlPolicy?: AddressPolicy;
}

const withSecret = clientView.extend({ client_secret: z.string().describe('the client secret: shown in this response only, never again') });
export const listQuery = z.strictObject({
  org_id: z.string().optional().describe('only this organization (platform callers)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

/** The organization a list is limited to: the caller's own, or any a platform caller names. */
export function listOrg(principal: Principal, requested: string | undefined): string | undefined {
  if (isPlatform(principal)) return requested;
  if (requested !== undefined && requested !== principal.orgId) throw invalid('org_id', 'can only name your own organization');
  return principal.orgId;
}

/**
 * OAuth clients (RFC 7591 metadata), validated as the seed and node-oidc-provider
 * validate them. The server generates the secret and stores only its keyed hash; the
 * plain secret is in the create and rotate responses only. Service accounts are clients
 * too but are managed under /service-accounts.
 */
export function clientRoutes(deps: ClientRouteDeps) {
  const read = adminScope('clients', 'read');
  const write = adminScope('clients', 'write');
  const scopesOf = (scope: string | null | undefined) => scope?.split(' ') ?? [];

  return [
    route({
      method: 'post', path: '/clients', operationId: 'createClient', tag: 'clients', scope: write, body: clientBody,
      summary: 'Register a client; a confidential client gets a generated secret, in this response only',
      responses: { 201: { description: 'registered', schema: withSecret }, 409: { description: 'the client_id is taken' } },
      async handle({ body, principal }) {
        checkGrantable(principal, scopesOf(body.scope), 'scope', body.first_party, body.rate_limit_tier);
        const { org_id: requested, ...fields } = body;
        const orgId = ownerOrg(principal, requested);
        let client: StoredClient = { ...fields, client_id: fields.client_id ?? randomUUID(), ...(orgId ? { org_id: orgId } : {}) };
        let secret: string | undefined;
        checkPlatformOwned(client, 'scope');
        if (usesSecret(client.token_endpoint_auth_method)) ({ client, secret } = withNewSecret(client, deps.secrets));
        await validateWithProvider(deps.provider, client, FIELD_NAMES);
        await checkFetchedUrls(client, { clientUrls: deps.clientUrlPolicy, backchannel: deps.backchannelPolicy });
        if (!(await deps.directory.create(client))) throw duplicate(client.client_id);
        return { status: 201, body: { ...publicClient(client), ...(secret ? { client_secret: secret } : {}) } };
      },
    }),
    route({
      method: 'get', path: '/clients', operationId: 'listClients', tag: 'clients', scope: read, query: listQuery,
      summary: 'List clients (by client_id, cursor-paged); platform callers may filter by organization',
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(clientView), next_cursor: z.string().optional() }) } },
      async handle({ query, principal }) {
        const page = await deps.directory.list({
          orgId: listOrg(principal, query.org_id), serviceAccounts: false, limit: query.limit, cursor: query.cursor,
        });
        return { body: { items: page.items.map(publicClient), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) } };
      },
    }),
    route({
      method: 'get', path: '/clients/{id}', operationId: 'getClient', tag: 'clients', scope: read,
      summary: 'One client (never its secret)',
      responses: { 200: { description: 'the client', schema: clientView }, 404: { description: 'no such client' } },
      async handle({ params, principal }) {
        return { body: publicClient(await findVisible(deps.directory, principal, params.id!, 'client')) };
      },
    }),
    route({
      method: 'patch', path: '/clients/{id}', operationId: 'updateClient', tag: 'clients', scope: write, body: clientPatch,
      summary: 'Change a client: members replace stored ones, null removes one (RFC 7396); the result is validated as a whole',
      responses: { 200: { description: 'the changed client', schema: clientView }, 404: { description: 'no such client' }, 409: { description: "Gatehouse's own client (gatehouse-account)" } },
      async handle({ params, body, principal }) {
        const stored = await findVisible(deps.directory, principal, params.id!, 'client');
        refuseBuiltIn(stored.client_id);
        checkGrantable(principal, scopesOf(body.scope), 'scope', body.first_party ?? undefined, body.rate_limit_tier);
        if ('org_id' in body && !isPlatform(principal) && body.org_id !== principal.orgId) {
          throw invalid('org_id', 'only a platform administrator may move a client to another organization');
        }
        const fields = validate(clientBody, mergePatch(stored, body), 'body');
        const method = fields.token_endpoint_auth_method;
        if (usesSecret(method) && typeof stored.client_secret !== 'string') {
          throw invalid('token_endpoint_auth_method', `this client has no secret to use with "${method}": register a new client`);
        }
        // The secret and a rotated-out one stay as they are; a client that stops using one loses it.
        // A self-registered client stays one (pending approval, expiry, RFC 7592 management).
        const next: StoredClient = { ...fields, client_id: stored.client_id, ...registrationFieldsOf(stored) };
        if (usesSecret(method)) next.client_secret = stored.client_secret;
        if (usesSecret(method) && stored.client_secret_previous !== undefined) next.client_secret_previous = stored.client_secret_previous;
        checkPlatformOwned(next, 'scope');
        await validateWithProvider(deps.provider, next, FIELD_NAMES);
        await checkFetchedUrls(next, { clientUrls: deps.clientUrlPolicy, backchannel: deps.backchannelPolicy });
        await deps.directory.save(next);
        return { body: publicClient(next), audit: { before: publicClient(stored) } };
      },
    }),
    route({
      method: 'post', path: '/clients/{id}/secret:rotate', operationId: 'rotateClientSecret', tag: 'clients', scope: write, body: rotateBody,
      summary: 'Issue a new secret; the old one keeps working for overlap_seconds (default 24 h, at most 7 days)',
      responses: { 200: { description: 'the new secret, shown once', schema: withSecret }, 404: { description: 'no such client' }, 409: { description: 'the client has no secret' } },
      async handle({ params, body, principal }) {
        const stored = await findVisible(deps.directory, principal, params.id!, 'client');
        if (!usesSecret(stored.token_endpoint_auth_method) || typeof stored.client_secret !== 'string') {
          throw new GatehouseError(409, 'conflict', 'this client does not authenticate with a client secret');
        }
        const { client, secret } = rotateSecret(stored, deps.secrets, body.overlap_seconds);
        await deps.directory.save(client);
        return { body: { ...publicClient(client), client_secret: secret } };
      },
    }),
    route({
      method: 'delete', path: '/clients/{id}', operationId: 'deleteClient', tag: 'clients', scope: write,
      summary: "Delete a client: its secret stops working and its tokens stop being accepted",
      responses: { 204: { description: 'deleted' }, 404: { description: 'no such client' }, 409: { description: "Gatehouse's own client (gatehouse-account)" } },
      async handle({ params, principal }) {
        const stored = await findVisible(deps.directory, principal, params.id!, 'client');
        refuseBuiltIn(stored.client_id);
        await deps.directory.remove(params.id!);
        const orgId = stored.org_id;
        return { status: 204, audit: { before: publicClient(stored), orgId: typeof orgId === 'string' ? orgId : undefined } };
      },
    }),
  ];
}

/**
 * The account pages' own client (account/client.ts) is written at every start; changing or
 * deleting it would only break /account until the next one.
 */
function refuseBuiltIn(clientId: string): void {
  if (clientId === ACCOUNT_CLIENT_ID) {
    throw new GatehouseError(409, 'conflict', `${ACCOUNT_CLIENT_ID} is Gatehouse's own client for the account pages: it cannot be changed or deleted`);
  }
}
