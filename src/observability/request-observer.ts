import { randomUUID } from 'node:crypto';

import type { Context, Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * A bounded route label: node-oidc-provider's route name ("token", "introspection"), the
 * router's matched pattern ("/interaction/:uid/login"), or "unmatched". Never the raw
 * path or query: those carry interaction ids, codes and tokens.
 */
function routeOf(ctx: Context): string {
  const oidcRoute = (ctx as unknown as KoaContextWithOIDC).oidc?.route;
  if (oidcRoute) return oidcRoute;
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}

/**
 * Gives every request an id (a sane incoming `X-Request-Id` is kept, so a proxy's id
 * follows the request through), then logs one structured line and records the duration
 * when the response is ready.
 */
export function requestObserver(options: { logger: Logger; metrics: Metrics }) {
  const { logger, metrics } = options;
  return async function observeRequest(ctx: Context, next: Next) {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.res.setHeader('X-Request-Id', requestId); // a valid token already (REQUEST_ID, or a UUID): past Koa's set()
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(ctx);
      const status = ctx.status;
      metrics.httpDuration.observe({ method: ctx.method, route, status: String(status) }, seconds);
      if (route === 'introspection' && status === 200) {
        metrics.introspections.inc({ result: (ctx.body as { active?: boolean } | undefined)?.active ? 'active' : 'inactive' });
      }
      if (route === 'revocation' && status === 200) metrics.revocations.inc({ source: 'token' });
      // The line is built only when it is written (LOG_LEVEL=info or lower).
      if (logger.isLevelEnabled('info')) {
        logger.info({
          req_id: requestId, method: ctx.method, route, status, duration_ms: Math.round(seconds * 1e4) / 10,
          client_id: (ctx as unknown as KoaContextWithOIDC).oidc?.client?.clientId,
        }, 'request');
      }
    }
  };
}
