import { fileURLToPath } from 'node:url';

import ejs from 'ejs';
import type { Context } from 'koa';

import { translatorFor } from '../i18n/index.ts';
import { describeScope } from '../i18n/scopes.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../security/passwords.ts';
import { createTheme, DEFAULT_THEME, type Theme } from './theme.ts';

const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));
/** For the password forms' hints and length attributes (security/passwords.ts is the rule). */
const PASSWORD_POLICY = { min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH } as const;

/**
 * Renders a view. `locals.uiLocales` (the authorization request's `ui_locales`, OIDC
 * Core §3.1.2.1) is the user's language choice when the page belongs to a sign-in.
 */
export type Render = (ctx: Context, view: string, locals?: Record<string, unknown>) => Promise<void>;

export interface RendererOptions {
  cache: boolean;
  /** Product name, logo and colour (GATEHOUSE_THEME_*); the default look without it. */
  theme?: Theme;
}

/**
 * Renders an EJS view from views/ as the HTML response. Templates are compiled once and
 * cached; EJS escapes every `<%= %>` value, so request data cannot inject markup.
 * Every view gets the theme, and a translator for the negotiated language (`t`, `th`,
 * `known`, `date`, `lang`: i18n/index.ts; `scopeText`: i18n/scopes.ts) — `ui_locales`,
 * then Accept-Language, then English. The answer says which language it is in and that it varies with the header.
 */
export function createRenderer(options: RendererOptions): Render {
  const theme = options.theme ?? createTheme(DEFAULT_THEME);
  return async function render(ctx, view, locals = {}) {
    const i18n = translatorFor({
      uiLocales: typeof locals.uiLocales === 'string' ? locals.uiLocales : undefined,
      acceptLanguage: ctx.get('Accept-Language'),
    });
    const html = await ejs.renderFile(`${VIEWS_DIR}${view}.ejs`, {
      ...locals, theme, lang: i18n.lang, t: i18n.t, th: i18n.th, has: i18n.has, known: i18n.known, date: i18n.date,
      scopeText: (scope: string) => describeScope(i18n, scope),
      passwordPolicy: PASSWORD_POLICY,
    }, { async: false, cache: options.cache, root: VIEWS_DIR });
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Language', i18n.lang);
    ctx.vary('Accept-Language');
    ctx.body = html;
  };
}
