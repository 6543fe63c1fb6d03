import * as z from 'zod';

import { notFound } from '../../errors.ts';
import type { ResourceServerStore } from '../../stores/resource-servers.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';

const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/; // RFC 6749 §3.3

const resourceServer = z.object({
  identifier: z.string(), scope: z.string(), access_token_format: z.enum(['opaque', 'jwt']),
  access_token_ttl: z.int().optional(), jwt_alg: z.enum(['ES256', 'RS256', 'EdDSA']).optional(),
});
const putBody = z.strictObject({
  scope: z.string().regex(SCOPE, 'must be space-separated scope tokens (RFC 6749 §3.3)'),
  access_token_format: z.enum(['opaque', 'jwt']).default('opaque'),
  access_token_ttl: z.int().min(1).max(86_400).optional(),
  jwt_alg: z.enum(['ES256', 'RS256', 'EdDSA']).optional(),
});

/** `{identifier}` is the resource indicator, percent-encoded into one path segment. */
function identifierOf(raw: string): string {
  let identifier: string;
  try {
    identifier = decodeURIComponent(raw);
  } catch {
    throw notFound('no resource server with this identifier'); // a broken %-escape (URIError), not a server fault
  }
  if (!URL.canParse(identifier) || identifier.includes('#')) throw notFound('no resource server with this identifier');
  return identifier;
}

const toJson = (s: Awaited<ReturnType<ResourceServerStore['find']>> & object) => ({
  identifier: s.identifier, scope: s.scope, access_token_format: s.accessTokenFormat,
  ...(s.accessTokenTtl !== undefined ? { access_token_ttl: s.accessTokenTtl } : {}),
  ...(s.jwtAlg !== undefined ? { jwt_alg: s.jwtAlg } : {}),
});

/**
 * Resource servers (RFC 8707 audiences) are shared by every tenant, so only platform
 * administrators manage them. Scopes must be ones the server knows.
 */
export function resourceServerRoutes(deps: { store: ResourceServerStore; knownScopes: ReadonlySet<string> }) {
  const { store } = deps;
  const read = adminScope('resource-servers', 'read');
  const write = adminScope('resource-servers', 'write');
  const checkScopes = putBody.superRefine((b, ctx) => {
    const unknown = b.scope.split(' ').find((s) => !deps.knownScopes.has(s));
    if (unknown) ctx.addIssue({ code: 'custom', path: ['scope'], message: `"${unknown}" is not a scope this server knows (API_SCOPES)` });
  });

  return [
    route({
      method: 'get', path: '/resource-servers', operationId: 'listResourceServers', tag: 'resource-servers', scope: read, platformOnly: true,
      summary: 'List resource servers',
      responses: { 200: { description: 'all resource servers', schema: z.object({ items: z.array(resourceServer) }) } },
      async handle() {
        return { body: { items: (await store.list()).map(toJson) } };
      },
    }),
    route({
      method: 'get', path: '/resource-servers/{identifier}', operationId: 'getResourceServer', tag: 'resource-servers', scope: read, platformOnly: true,
      summary: 'One resource server',
      responses: { 200: { description: 'the resource server', schema: resourceServer }, 404: { description: 'not registered' } },
      async handle({ params }) {
        const found = await store.find(identifierOf(params.identifier!));
        if (!found) throw notFound('no resource server with this identifier');
        return { body: toJson(found) };
      },
    }),
    route({
      method: 'put', path: '/resource-servers/{identifier}', operationId: 'putResourceServer', tag: 'resource-servers', scope: write, platformOnly: true,
      body: checkScopes,
      summary: 'Register or replace a resource server (its audience URI, scopes, token format and lifetime)',
      responses: { 200: { description: 'stored', schema: resourceServer } },
      async handle({ params, body }) {
        const identifier = identifierOf(params.identifier!);
        const server = {
          identifier, scope: body.scope, accessTokenFormat: body.access_token_format,
          ...(body.access_token_ttl !== undefined ? { accessTokenTtl: body.access_token_ttl } : {}),
          ...(body.jwt_alg !== undefined ? { jwtAlg: body.jwt_alg } : {}),
        };
        await store.upsert(server);
        return { body: toJson(server) };
      },
    }),
    route({
      method: 'delete', path: '/resource-servers/{identifier}', operationId: 'deleteResourceServer', tag: 'resource-servers', scope: write, platformOnly: true,
      summary: 'Remove a resource server: clients can no longer get tokens for it',
      responses: { 204: { description: 'removed' }, 404: { description: 'not registered' } },
      async handle({ params }) {
        if (!(await store.remove(identifierOf(params.identifier!)))) throw notFound('no resource server with this identifier');
        return { status: 204 };
      },
    }),
  ];
}
