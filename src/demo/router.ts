import Router from '@koa/router';
import type { Context } from 'koa';

import type { Render } from '../interactions/views.ts';
import { demoRelyingParty, type DemoRelyingParty, type PendingSignIn } from './relying-party.ts';

/** Holds the sign-in in progress: state, nonce and PKCE verifier (signed; HttpOnly). */
const COOKIE = 'gatehouse_demo';
/** As long as a person may take to sign in; an older start is simply gone. */
const PENDING_MS = 10 * 60 * 1000;

export interface DemoRouterOptions {
  render: Render;
  issuer: string;
  /** Stand-in for the demo relying party (tests); default: openid-client against `issuer`. */
  relyingParty?: DemoRelyingParty;
}

function readPending(ctx: Context): PendingSignIn | undefined {
  const raw = ctx.cookies.get(COOKIE, { signed: true });
  if (!raw) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PendingSignIn>;
    const ok = [value.state, value.nonce, value.verifier].every((v) => typeof v === 'string' && v.length > 0);
    return ok ? value as PendingSignIn : undefined;
  } catch {
    return undefined;
  }
}

function cookieOptions(ctx: Context) {
  return { signed: true, httpOnly: true, sameSite: 'lax' as const, path: '/demo', secure: ctx.secure, overwrite: true };
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * The demo relying party behind the landing page's "Try signing in" (the `demo-app`
 * client from config/dev-seed.json), mounted only outside production:
 * - `/demo/start` makes state, nonce and a PKCE verifier, keeps them in a signed cookie
 *   (so any worker can finish the sign-in) and sends the browser to `/auth`;
 * - `/demo/callback` redeems the code as the app, checks state, PKCE and nonce, and shows
 *   the ID token's claims and the userinfo answer. Reached without a sign-in started here
 *   (the README's link, with its fixed PKCE challenge), it shows the code and the curl
 *   command that redeems it instead.
 */
export function demoRouter(options: DemoRouterOptions): Router {
  const { render, issuer } = options;
  const redirectUri = `${issuer}/demo/callback`;
  const rp = options.relyingParty ?? demoRelyingParty({ issuer, clientId: 'demo-app', redirectUri, scope: 'openid profile email' });
  const router = new Router();

  router.get('/demo/start', async function startDemoSignIn(ctx) {
    const { url, pending } = await rp.start();
    const value = Buffer.from(JSON.stringify(pending)).toString('base64url');
    ctx.cookies.set(COOKIE, value, { ...cookieOptions(ctx), maxAge: PENDING_MS });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(url.href);
  });

  router.get('/demo/callback', async function demoCallback(ctx) {
    const error = text(ctx.query.error);
    const description = text(ctx.query.error_description) ?? '';
    const pending = readPending(ctx);
    if (!pending || !text(ctx.query.state)) {
      return render(ctx, 'demo-callback', { issuer, code: text(ctx.query.code), error, description, iss: text(ctx.query.iss) });
    }
    // One use: a reload of this page must not try the same code again.
    ctx.cookies.set(COOKIE, null, cookieOptions(ctx));
    const logoutUrl = `/session/end?client_id=demo-app&post_logout_redirect_uri=${encodeURIComponent(`${issuer}/`)}`;
    try {
      const result = await rp.finish(new URL(ctx.originalUrl, issuer), pending);
      await render(ctx, 'demo-result', { issuer, result, logoutUrl, json: (v: unknown) => JSON.stringify(v, null, 2) });
    } catch (err) {
      // The authorization server's answer (access_denied, …) or the app's own check that
      // failed (state, nonce, ID token): the demo shows which, as an app's log would.
      const e = err as { error?: unknown; error_description?: unknown; code?: unknown; message?: unknown };
      ctx.status = 400;
      await render(ctx, 'demo-result', {
        issuer, result: undefined, logoutUrl,
        error: text(e.error) ?? text(e.code) ?? 'sign_in_failed',
        description: text(e.error_description) ?? text(e.message) ?? '',
      });
    }
  });
  return router;
}
