import * as z from 'zod';

import { notFound } from '../../errors.ts';
import { isPending, isSelfRegistered } from '../../oidc/registration-clients.ts';
import type { InitialAccessToken, RegistrationTokens } from '../../oidc/registration-tokens.ts';
import { encodeClientCursor, type ClientDirectory, type StoredClient } from '../../stores/client-directory.ts';
import { findVisible, ownerOrg } from '../clients/checks.ts';
import { clientView, publicClient } from '../clients/metadata.ts';
import { canSee, type Principal } from '../principal.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { listOrg } from './clients.ts';

export interface RegistrationRouteDeps {
  tokens: RegistrationTokens;
  directory: ClientDirectory;
}

const DAY = 86_400;
export const MAX_INITIAL_ACCESS_TOKEN_USES = 100;
export const MAX_INITIAL_ACCESS_TOKEN_SECONDS = 30 * DAY;

const issueBody = z.strictObject({
  max_uses: z.int().min(1).max(MAX_INITIAL_ACCESS_TOKEN_USES).default(1).describe('how many clients it may register (default 1)'),
  expires_in: z.int().min(60).max(MAX_INITIAL_ACCESS_TOKEN_SECONDS).default(DAY).describe('seconds until it expires (default one day)'),
  org_id: z.string().min(1).max(255).optional().describe('the organization its clients belong to; platform callers only (others: their own)'),
});
const tokenView = z.object({
  id: z.string(), max_uses: z.int(), org_id: z.string().optional(), created_at: z.string(), expires_at: z.string(), created_by: z.string(),
});
const withToken = tokenView.extend({ token: z.string().describe('the initial access token: shown in this response only, never again') });
const listQuery = z.strictObject({
  status: z.enum(['pending', 'active']).optional().describe('only pending (waiting for approval) or active registrations'),
  org_id: z.string().optional().describe('only this organization (platform callers)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();
const showToken = (t: InitialAccessToken) => ({
  id: t.id, max_uses: t.maxUses, ...(t.orgId !== undefined && { org_id: t.orgId }),
  created_at: iso(t.createdAt), expires_at: iso(t.expiresAt), created_by: t.createdBy,
});

/** Most directory entries one list request reads; a page may come back short, with a cursor to go on. */
const SCAN_BUDGET = 1000;

/**
 * Dynamic client registration, administered (docs/registration.md): initial access tokens
 * (RFC 7591 §3) and the self-registered clients. Issuing a token lets its holder create
 * clients, so it takes the same scope as creating one; a token an organization issues
 * binds the clients it registers to that organization.
 */
export function registrationRoutes(deps: RegistrationRouteDeps) {
  const read = adminScope('clients', 'read');
  const write = adminScope('clients', 'write');

  async function visibleToken(principal: Principal, id: string) {
    const token = await deps.tokens.findInitialAccessToken(id);
    if (!token || !canSee(principal, token.orgId)) throw notFound('no initial access token with this id (or it expired or was used up)');
    return token;
  }
  async function visibleRegistration(principal: Principal, id: string): Promise<StoredClient> {
    const client = await findVisible(deps.directory, principal, id, 'client');
    if (!isSelfRegistered(client)) throw notFound('no self-registered client with this id');
    return client;
  }

  return [
    route({
      method: 'post', path: '/initial-access-tokens', operationId: 'createInitialAccessToken', tag: 'registration', scope: write, body: issueBody,
      summary: 'Issue an initial access token for dynamic client registration; the token is in this response only',
      responses: { 201: { description: 'issued', schema: withToken } },
      async handle({ body, principal }) {
        const { token, record } = await deps.tokens.issueInitialAccessToken({
          orgId: ownerOrg(principal, body.org_id), maxUses: body.max_uses, expiresIn: body.expires_in,
          createdBy: `${principal.subject.type}:${principal.subject.id}`,
        });
        return { status: 201, body: { ...showToken(record), token } };
      },
    }),
    route({
      method: 'get', path: '/initial-access-tokens/{id}', operationId: 'getInitialAccessToken', tag: 'registration', scope: read,
      summary: 'One initial access token (never the token itself); gone once expired or used up',
      responses: { 200: { description: 'the token', schema: tokenView }, 404: { description: 'no such token' } },
      async handle({ params, principal }) {
        return { body: showToken(await visibleToken(principal, params.id!)) };
      },
    }),
    route({
      method: 'delete', path: '/initial-access-tokens/{id}', operationId: 'revokeInitialAccessToken', tag: 'registration', scope: write,
      summary: 'Revoke an initial access token: it registers nothing more',
      responses: { 204: { description: 'revoked' }, 404: { description: 'no such token' } },
      async handle({ params, principal }) {
        const token = await visibleToken(principal, params.id!);
        await deps.tokens.revokeInitialAccessToken(token.id);
        return { status: 204, audit: { before: showToken(token), orgId: token.orgId } };
      },
    }),
    route({
      method: 'get', path: '/registered-clients', operationId: 'listRegisteredClients', tag: 'registration', scope: read, query: listQuery,
      summary: 'Self-registered clients (by client_id); a page may hold fewer than `limit`: follow next_cursor',
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(clientView), next_cursor: z.string().optional() }) } },
      async handle({ query, principal }) {
        const items: StoredClient[] = [];
        const wanted = (c: StoredClient) => isSelfRegistered(c) && (query.status === undefined || (query.status === 'pending') === isPending(c));
        let cursor = query.cursor;
        let last: string | undefined;
        let scanned = 0;
        let exhausted = false;
        while (items.length < query.limit && scanned < SCAN_BUDGET) {
          const page = await deps.directory.list({
            orgId: listOrg(principal, query.org_id), serviceAccounts: false, limit: 200, ...(cursor !== undefined && { cursor }),
          });
          for (const client of page.items) {
            scanned += 1;
            last = client.client_id;
            if (wanted(client)) items.push(client);
            if (items.length === query.limit) break;
          }
          if (items.length === query.limit) break;
          if (page.nextCursor === undefined) {
            exhausted = true;
            break;
          }
          cursor = page.nextCursor;
        }
        const next = exhausted ? undefined : last !== undefined ? encodeClientCursor(last) : query.cursor;
        return { body: { items: items.map(publicClient), ...(next !== undefined && { next_cursor: next }) } };
      },
    }),
    route({
      method: 'post', path: '/registered-clients/{id}:approve', operationId: 'approveRegisteredClient', tag: 'registration', scope: write,
      summary: 'Approve a pending self-registered client: from now on it can get tokens',
      responses: { 200: { description: 'the client', schema: clientView }, 404: { description: 'no such self-registered client' } },
      async handle({ params, principal }) {
        const stored = await visibleRegistration(principal, params.id!);
        const approved: StoredClient = { ...stored, registration_status: 'active' };
        await deps.directory.save(approved);
        return { body: publicClient(approved), audit: { before: publicClient(stored) } };
      },
    }),
  ];
}
