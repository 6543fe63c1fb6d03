import { fileURLToPath } from 'node:url';

import ejs from 'ejs';
import type { Context } from 'koa';

const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

export type Render = (ctx: Context, view: string, locals?: Record<string, unknown>) => Promise<void>;

/**
 * Renders an EJS view from views/ as the HTML response. Templates are compiled once and
 * cached; EJS escapes every `<%= %>` value, so request data cannot inject markup.
 */
export function createRenderer(options: { cache: boolean }): Render {
  return async function render(ctx, view, locals = {}) {
    const html = await ejs.renderFile(`${VIEWS_DIR}${view}.ejs`, locals, {
      async: false, cache: options.cache, root: VIEWS_DIR,
    });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = html;
  };
}
