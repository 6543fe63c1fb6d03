import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

import { adminChangeEvent } from '../audit/admin-change.ts';
import type { AuditSink } from '../audit/events.ts';
import { jsonBody } from '../http/json-body.ts';
import type { ApiKeyService } from '../security/api-keys.ts';
import { authenticate, requireScope } from './authenticate.ts';
import { buildOpenApi } from './openapi.ts';
import { koaPath, type AdminRoute } from './route.ts';
import { asInputError, validate } from './validate.ts';
import type { TenancyResolver } from '../security/tenancy.ts';
import type { Revocation } from '../security/revocation.ts';

export interface AdminRouterOptions {
  provider: Provider;
  apiKeys: Pick<ApiKeyService, 'verify'>;
  adminResource: string;
  issuer: string;
  routes: readonly AdminRoute[];
  /** Every successful write (POST, PUT, PATCH, DELETE) is recorded as an `admin.change` event. */
  audit?: AuditSink;
  tenancy?: TenancyResolver;
  /** Access tokens revoked with their client, account or grant are refused (security/revocation.ts). */
  revocation?: Pick<Revocation, 'isRevoked'>;
}

/**
 * `/api/v1`: every route is authenticate → scope check → body → validate → handler.
 * `GET /api/v1/openapi.json` is public: it describes the API, not its data.
 */
export function adminRouter(options: AdminRouterOptions): Router {
  const router = new Router({ prefix: '/api/v1' });
  const document = buildOpenApi(options.routes, { issuer: options.issuer });
  router.get('/openapi.json', function openApiDocument(ctx) {
    ctx.body = document;
  });

  const auth = authenticate(options);
  for (const definition of options.routes) {
    router[definition.method](
      definition.operationId,
      koaPath(definition.path),
      auth,
      requireScope(definition.scope, { platformOnly: definition.platformOnly }),
      jsonBody(),
      async function handleAdminRoute(ctx: Context & { params: Record<string, string> }) {
        const body = definition.body ? validate(definition.body, ctx.request.json ?? {}, 'body') : undefined;
        const query = definition.query ? validate(definition.query, ctx.query, 'query') : undefined;
        const result = await definition.handle({ body, query, params: ctx.params, principal: ctx.state.principal!, ip: ctx.ip })
          .catch((err: unknown) => { throw asInputError(err); });
        if (definition.method !== 'get') {
          options.audit?.record(adminChangeEvent(definition, ctx.params, ctx.state.principal!, ctx.ip, result));
        }
        ctx.set('Cache-Control', 'no-store');
        ctx.status = result.status ?? 200;
        if (result.body !== undefined) ctx.body = result.body;
      },
    );
  }
  return router;
}
