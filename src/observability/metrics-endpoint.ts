import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';

import Router from '@koa/router';

export interface Exposition {
  contentType: string;
  body(): Promise<string>;
}

/**
 * `GET /metrics` on the public port, only with `Authorization: Bearer <METRICS_TOKEN>`.
 * Without a token configured the route does not exist: metrics reveal client ids and
 * traffic, which are nobody else's business.
 */
export function metricsRouter(exposition: Exposition, token: string): Router {
  const expected = Buffer.from(`Bearer ${token}`);
  const router = new Router();
  router.get('/metrics', async function serveMetrics(ctx) {
    const presented = Buffer.from(ctx.get('Authorization'));
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: 'invalid_token', error_description: 'metrics need the configured bearer token' };
      return;
    }
    ctx.type = exposition.contentType;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await exposition.body();
  });
  return router;
}

/** A listener of its own for `/metrics` (METRICS_PORT), typically bound to a private interface. */
export async function listenForMetrics(exposition: Exposition, options: { port: number; host: string }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    exposition.body().then(
      (body) => res.writeHead(200, { 'content-type': exposition.contentType, 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
