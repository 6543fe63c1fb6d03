import type { Context, Next } from 'koa';

import { GatehouseError } from '../errors.ts';
import { formBody, printable } from '../http/form-body.ts';
import { routedPath } from '../http/path-gate.ts';

/** The provider's authorization and logout endpoints (its default routes). */
export const POST_AS_GET_PATHS: readonly string[] = ['/auth', '/session/end'];

/**
 * Longest URL the GET may have. Node refuses request heads over 16 KiB; anything near
 * that belongs in a pushed authorization request (RFC 9126), which has no such limit.
 */
export const MAX_REDIRECT_URL = 8 * 1024;

/**
 * Serves POST at the authorization endpoint (OIDC Core §3.1.2.1) and at the logout
 * endpoint (RP-Initiated Logout 1.0 §2) by answering `303 See Other` with the same
 * parameters as a GET to the same endpoint, which the browser follows at once.
 *
 * Why not node-oidc-provider's own POST support (`enableHttpPostMethods`): it requires the
 * session cookie to be `SameSite=None`, because a form posted from the relying party's site
 * is a cross-site POST, which a `Lax` cookie does not ride on; the person would look signed
 * out. `None` would send the session cookie with every cross-site subrequest and POST
 * instead. The GET that follows a 303 is a top-level navigation, which `Lax` cookies do
 * ride on, so Gatehouse keeps them `Lax` and still serves POST.
 *
 * What changes for the relying party: the parameters it posted end up in a URL, as they
 * would have with GET (the pages send `Referrer-Policy: no-referrer`). A request too long
 * for a URL is refused; pushed authorization requests carry those.
 */
export function postAsGet(options: { paths?: readonly string[]; maxUrlLength?: number } = {}) {
  const paths = new Set(options.paths ?? POST_AS_GET_PATHS);
  const maxUrlLength = options.maxUrlLength ?? MAX_REDIRECT_URL;
  // The parameters of an authorization or logout request, with room for extensions.
  const readForm = formBody({ limit: maxUrlLength, maxFields: 64 });
  return async function servePostAsGet(ctx: Context, next: Next) {
    if (ctx.method !== 'POST' || !paths.has(routedPath(ctx.path))) return next();
    await readForm(ctx, async () => undefined);
    const params = new URLSearchParams(ctx.querystring);
    for (const [name, value] of ctx.request.form!) {
      // RFC 6749 §3.1: a parameter must not be sent more than once, here or in the form.
      if (params.has(name)) throw new GatehouseError(400, 'invalid_request', `the parameter "${printable(name)}" is sent more than once`);
      params.append(name, value);
    }
    const location = `${ctx.path}?${params}`;
    if (location.length > maxUrlLength) {
      throw new GatehouseError(413, 'invalid_request', 'the request is too long to be sent with POST; use a pushed authorization request');
    }
    ctx.status = 303;
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(location);
  };
}
