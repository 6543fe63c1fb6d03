import * as z from 'zod';

import { badRequest, GatehouseError, notFound } from '../../errors.ts';
import type { ApiKeyService } from '../../security/api-keys.ts';
import type { ApiKeyStore } from '../../stores/api-keys.ts';
import { canSee, isPlatform, type Principal } from '../principal.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';

const publicKey = z.object({
  id: z.string(), name: z.string(), prefix: z.string(), last4: z.string(), status: z.enum(['active', 'expired', 'revoked']),
  scopes: z.array(z.string()), owner: z.object({ type: z.string(), id: z.string() }), org_id: z.string().optional(),
  created_at: z.string(), expires_at: z.string(), last_used_at: z.string().optional(), revoked_at: z.string().optional(),
  ip_allow_list: z.array(z.string()), rate_limit_tier: z.string().optional(), rotated_from: z.string().optional(),
});
const withSecret = publicKey.extend({ key: z.string().describe('the API key itself: shown this once, never again') });

const createBody = z.strictObject({
  name: z.string(),
  scopes: z.array(z.string()).min(1),
  expires_at: z.string().optional(),
  expires_in_days: z.int().optional(),
  ip_allow_list: z.array(z.string()).optional(),
  rate_limit_tier: z.string().optional(),
});
const listQuery = z.strictObject({
  owner_id: z.string().optional(),
  include_revoked: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});
const rotateBody = z.strictObject({ overlap_seconds: z.int().min(0).optional() });

/**
 * API keys. A caller creates keys for itself, never with more scopes than it has (so a
 * key cannot grant what its maker lacks); it sees and changes only its organization's
 * keys, and another tenant's key is a 404.
 */
export function apiKeyRoutes(deps: { service: ApiKeyService; store: ApiKeyStore }) {
  const { service, store } = deps;
  const read = adminScope('api-keys', 'read');
  const write = adminScope('api-keys', 'write');

  async function visible(principal: Principal, id: string) {
    const record = await store.findById(id);
    if (!record || !canSee(principal, record.orgId)) throw notFound('no API key with this id');
    return record;
  }

  return [
    route({
      method: 'post', path: '/api-keys', operationId: 'createApiKey', tag: 'api-keys', scope: write, body: createBody,
      summary: 'Create an API key for the caller; the key is in this response only',
      responses: { 201: { description: 'created', schema: withSecret } },
      async handle({ body, principal }) {
        // A tier is a share of the server's capacity: the platform hands it out, or any
        // key holder could make itself `premium`.
        if (body.rate_limit_tier !== undefined && !isPlatform(principal)) {
          throw badRequest('invalid body: rate_limit_tier: only a platform administrator may choose a rate-limit tier', {
            fields: [{ path: 'rate_limit_tier', message: 'only a platform administrator may choose a rate-limit tier' }],
          });
        }
        const { key, record } = await service.issue(body, {
          owner: principal.subject, orgId: principal.orgId, allowedScopes: [...principal.scopes],
        });
        return { status: 201, body: { ...service.toPublic(record), key } };
      },
    }),
    route({
      method: 'get', path: '/api-keys', operationId: 'listApiKeys', tag: 'api-keys', scope: read, query: listQuery,
      summary: 'List API keys (newest first, cursor-paged), filtered by owner',
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(publicKey), next_cursor: z.string().optional() }) } },
      async handle({ query, principal }) {
        const page = await store.list({
          ownerId: query.owner_id, orgId: principal.orgId, includeRevoked: query.include_revoked === 'true',
          limit: query.limit, cursor: query.cursor,
        });
        return { body: { items: page.items.map((r) => service.toPublic(r)), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) } };
      },
    }),
    route({
      method: 'get', path: '/api-keys/{id}', operationId: 'getApiKey', tag: 'api-keys', scope: read,
      summary: 'One API key (never its secret)',
      responses: { 200: { description: 'the key', schema: publicKey }, 404: { description: 'no such key' } },
      async handle({ params, principal }) {
        return { body: service.toPublic(await visible(principal, params.id!)) };
      },
    }),
    route({
      method: 'post', path: '/api-keys/{id}:rotate', operationId: 'rotateApiKey', tag: 'api-keys', scope: write, body: rotateBody,
      summary: 'Issue a new key with the same settings; the old one dies now or after overlap_seconds',
      responses: { 201: { description: 'the new key, shown once', schema: withSecret }, 404: { description: 'no such key' }, 409: { description: 'the key is revoked or expired' } },
      async handle({ params, body, principal }) {
        await visible(principal, params.id!);
        const result = await service.rotate(params.id!, { overlapSeconds: body.overlap_seconds });
        if (!result.ok) throw new GatehouseError(409, 'conflict', `the API key is ${result.reason} and cannot be rotated`);
        return { status: 201, body: { ...service.toPublic(result.record), key: result.key } };
      },
    }),
    route({
      method: 'delete', path: '/api-keys/{id}', operationId: 'revokeApiKey', tag: 'api-keys', scope: write,
      summary: 'Revoke an API key (idempotent)',
      responses: { 204: { description: 'revoked' }, 404: { description: 'no such key' } },
      async handle({ params, principal }) {
        await visible(principal, params.id!);
        await service.revoke(params.id!);
        return { status: 204 };
      },
    }),
  ];
}
