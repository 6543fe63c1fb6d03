import { randomUUID } from 'node:crypto';

import * as z from 'zod';

import { GatehouseError } from '../../errors.ts';
import { IpAllowListError, parseIpAllowList } from '../../security/ip-allow-list.ts';
import { checkFetchedUrls, checkGrantable, checkPlatformOwned, findVisible, ownerOrg, validateWithProvider } from '../clients/checks.ts';
import type { StoredClient } from '../../stores/client-directory.ts';
import { previousSecretExpiry } from '../clients/metadata.ts';
import { rotateBody, rotateSecret, withNewSecret } from '../clients/secret.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { listOrg, listQuery, type ClientRouteDeps } from './clients.ts';

const view = z.object({
  client_id: z.string(), name: z.string(), org_id: z.string().optional(), scopes: z.array(z.string()),
  ip_allow_list: z.array(z.string()).describe('CIDR ranges (IPv4 and IPv6); empty: any address'),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']),
  previous_secret_expires_at: z.int().optional(),
  rate_limit_tier: z.string().optional().describe('the RATE_LIMIT_TIERS tier it is limited by; platform callers only'),
});
const withSecret = view.extend({ client_secret: z.string().describe('the client secret: shown in this response only, never again') });
const FIELD_PATHS = ['name', 'scopes', 'ip_allow_list', 'token_endpoint_auth_method', 'org_id', 'rate_limit_tier'];

function toView(c: StoredClient) {
  const expiry = previousSecretExpiry(c);
  return {
    client_id: c.client_id, name: String(c.client_name ?? ''), ...(typeof c.org_id === 'string' ? { org_id: c.org_id } : {}),
    scopes: typeof c.scope === 'string' && c.scope ? c.scope.split(' ') : [], ip_allow_list: (c.ip_allow_list as string[] | undefined) ?? [],
    token_endpoint_auth_method: c.token_endpoint_auth_method as 'client_secret_basic' | 'client_secret_post',
    ...(expiry !== undefined ? { previous_secret_expires_at: expiry } : {}),
    ...(typeof c.rate_limit_tier === 'string' ? { rate_limit_tier: c.rate_limit_tier } : {}),
  };
}

/** Service-account metadata: a confidential client that may only use client credentials (RFC 6749 §4.4). */
const toMetadata = (b: { name?: string; scopes?: string[]; ip_allow_list?: string[]; rate_limit_tier?: string }) => ({
  ...(b.rate_limit_tier !== undefined ? { rate_limit_tier: b.rate_limit_tier } : {}),
  ...(b.name !== undefined ? { client_name: b.name } : {}),
  ...(b.scopes !== undefined ? { scope: b.scopes.join(' ') } : {}),
  // Stored in canonical form; enforced wherever the client authenticates (oidc/client-auth-ip.ts).
  ...(b.ip_allow_list !== undefined ? { ip_allow_list: [...parseIpAllowList(b.ip_allow_list).entries] } : {}),
});

/**
 * Service accounts: clients for machine-to-machine calls, owned by an organization,
 * limited to scopes the server knows, with an optional IP allow-list. Stored as clients
 * with `service_account: true`, so the token endpoint needs nothing new.
 */
export function serviceAccountRoutes(deps: ClientRouteDeps & { knownScopes: ReadonlySet<string> }) {
  const read = adminScope('service-accounts', 'read');
  const write = adminScope('service-accounts', 'write');
  const settable = {
    name: z.string().min(1).max(200),
    scopes: z.array(z.string()).min(1).max(100),
    ip_allow_list: z.array(z.string()).max(100),
    rate_limit_tier: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a tier name'),
  };
  const checked = <S extends z.ZodObject>(schema: S) => schema.superRefine((b: { scopes?: string[]; ip_allow_list?: string[] }, ctx) => {
    b.scopes?.forEach((s, i) => {
      if (!deps.knownScopes.has(s)) ctx.addIssue({ code: 'custom', path: ['scopes', i], message: `"${s}" is not a scope this server knows` });
    });
    try {
      if (b.ip_allow_list) parseIpAllowList(b.ip_allow_list);
    } catch (err) {
      if (!(err instanceof IpAllowListError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['ip_allow_list', err.index], message: err.message });
    }
  });
  const createBody = checked(z.strictObject({
    ...settable,
    ip_allow_list: settable.ip_allow_list.default([]),
    rate_limit_tier: settable.rate_limit_tier.optional(),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    org_id: z.string().min(1).max(255).optional().describe('the owning organization; platform callers only'),
  }));
  const patchBody = checked(z.strictObject(settable).partial());

  return [
    route({
      method: 'post', path: '/service-accounts', operationId: 'createServiceAccount', tag: 'service-accounts', scope: write, body: createBody,
      summary: 'Create a service account; its client_id and secret are in this response, the secret only here',
      responses: { 201: { description: 'created', schema: withSecret } },
      async handle({ body, principal }) {
        checkGrantable(principal, body.scopes, 'scopes', undefined, body.rate_limit_tier);
        const orgId = ownerOrg(principal, body.org_id);
        const { client, secret } = withNewSecret({
          client_id: randomUUID(), ...toMetadata(body), service_account: true, ...(orgId ? { org_id: orgId } : {}),
          grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: body.token_endpoint_auth_method,
        }, deps.secrets);
        checkPlatformOwned(client, 'scopes');
        await validateWithProvider(deps.provider, client, FIELD_PATHS);
        await checkFetchedUrls(client, { clientUrls: deps.clientUrlPolicy });
        if (!(await deps.directory.create(client))) throw new GatehouseError(500, 'server_error', 'generated client_id collided');
        return { status: 201, body: { ...toView(client), client_secret: secret } };
      },
    }),
    route({
      method: 'get', path: '/service-accounts', operationId: 'listServiceAccounts', tag: 'service-accounts', scope: read, query: listQuery,
      summary: 'List service accounts (by client_id, cursor-paged); platform callers may filter by organization',
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(view), next_cursor: z.string().optional() }) } },
      async handle({ query, principal }) {
        const page = await deps.directory.list({
          orgId: listOrg(principal, query.org_id), serviceAccounts: true, limit: query.limit, cursor: query.cursor,
        });
        return { body: { items: page.items.map(toView), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) } };
      },
    }),
    route({
      method: 'get', path: '/service-accounts/{id}', operationId: 'getServiceAccount', tag: 'service-accounts', scope: read,
      summary: 'One service account (never its secret)',
      responses: { 200: { description: 'the service account', schema: view }, 404: { description: 'no such service account' } },
      async handle({ params, principal }) {
        return { body: toView(await findVisible(deps.directory, principal, params.id!, 'service_account')) };
      },
    }),
    route({
      method: 'patch', path: '/service-accounts/{id}', operationId: 'updateServiceAccount', tag: 'service-accounts', scope: write, body: patchBody,
      summary: 'Change the name, scopes or IP allow-list of a service account',
      responses: { 200: { description: 'the changed service account', schema: view }, 404: { description: 'no such service account' } },
      async handle({ params, body, principal }) {
        const stored = await findVisible(deps.directory, principal, params.id!, 'service_account');
        if (body.scopes || body.rate_limit_tier !== undefined) checkGrantable(principal, body.scopes ?? [], 'scopes', undefined, body.rate_limit_tier);
        const next: StoredClient = { ...stored, ...toMetadata(body) };
        checkPlatformOwned(next, 'scopes');
        await validateWithProvider(deps.provider, next, FIELD_PATHS);
        await checkFetchedUrls(next, { clientUrls: deps.clientUrlPolicy });
        await deps.directory.save(next);
        return { body: toView(next), audit: { before: toView(stored) } };
      },
    }),
    route({
      method: 'post', path: '/service-accounts/{id}/secret:rotate', operationId: 'rotateServiceAccountSecret', tag: 'service-accounts', scope: write,
      body: rotateBody, summary: 'Issue a new secret; the old one keeps working for overlap_seconds (default 24 h, at most 7 days)',
      responses: { 200: { description: 'the new secret, shown once', schema: withSecret }, 404: { description: 'no such service account' } },
      async handle({ params, body, principal }) {
        const stored = await findVisible(deps.directory, principal, params.id!, 'service_account');
        const { client, secret } = rotateSecret(stored, deps.secrets, body.overlap_seconds);
        await deps.directory.save(client);
        return { body: { ...toView(client), client_secret: secret } };
      },
    }),
    route({
      method: 'delete', path: '/service-accounts/{id}', operationId: 'deleteServiceAccount', tag: 'service-accounts', scope: write,
      summary: 'Delete a service account: its secret stops working and its tokens stop being accepted',
      responses: { 204: { description: 'deleted' }, 404: { description: 'no such service account' } },
      async handle({ params, principal }) {
        const stored = await findVisible(deps.directory, principal, params.id!, 'service_account');
        await deps.directory.remove(params.id!);
        return { status: 204, audit: { before: toView(stored), orgId: toView(stored).org_id } };
      },
    }),
  ];
}
