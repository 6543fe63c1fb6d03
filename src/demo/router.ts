import Router from '@koa/router';

import type { Render } from '../interactions/views.ts';

/**
 * The redirect target of the `demo-app` client from config/dev-seed.json: it shows the
 * authorization response and the token request that redeems it, so a newcomer can walk
 * through the code flow from the README with nothing but a browser and curl. Mounted
 * only outside production.
 */
export function demoRouter(options: { render: Render; issuer: string }): Router {
  const router = new Router();
  router.get('/demo/callback', async function demoCallback(ctx) {
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : undefined;
    const error = typeof ctx.query.error === 'string' ? ctx.query.error : undefined;
    const description = typeof ctx.query.error_description === 'string' ? ctx.query.error_description : '';
    await options.render(ctx, 'demo-callback', {
      issuer: options.issuer, code, error, description,
      iss: typeof ctx.query.iss === 'string' ? ctx.query.iss : undefined,
    });
  });
  return router;
}
