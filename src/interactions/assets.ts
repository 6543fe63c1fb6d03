import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import Router from '@koa/router';

import type { Theme } from './theme.ts';

const SCRIPT = readFileSync(fileURLToPath(new URL('../../views/assets/gatehouse.js', import.meta.url)));

/**
 * The pages' own assets besides the stylesheet: the theme's colours (generated from
 * configuration, so the colour needs no inline style under CSP style-src 'self') and the
 * one script (show-password toggles, copy buttons; CSP script-src 'self'). The pages work
 * without the script: it only adds conveniences (progressive enhancement).
 */
export function assetsRouter(options: { theme: Theme }): Router {
  const router = new Router();
  router.get('/assets/theme.css', function themeStylesheet(ctx) {
    ctx.type = 'text/css';
    // The pages link it with a content version (?v=…): a changed theme is a new URL.
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = options.theme.css;
  });
  router.get('/assets/gatehouse.js', function pageScript(ctx) {
    ctx.type = 'text/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = SCRIPT;
  });
  return router;
}
