import { createHash, randomBytes } from 'node:crypto';

import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';

import type { Account, AccountStore } from '../stores/accounts.ts';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID } from './client.ts';

/** Who is looking at the account pages, from the OIDC sign-in session. */
export interface SignedIn {
  account: Account;
  /** The session's uid: stable while its id rotates; the CSRF tokens are bound to it. */
  sessionUid: string;
}

declare module 'koa' {
  interface DefaultState {
    signedIn?: SignedIn;
  }
}

/** The pages a sign-in may return to: fixed paths only, so `state` cannot redirect elsewhere. */
export const RETURN_PATH = /^\/account(\/(password|apps|api-keys))?$/;

/**
 * Where to send a person who is not signed in: an authorization request (OIDC Core
 * §3.1.2.1) of the account pages' own first-party client (client.ts). Its login page is
 * the one every app uses, with the same lockout and the same session; once signed in,
 * node-oidc-provider redirects to /account/callback, and from then on the pages read
 * that session. The pages never redeem the code: they need the session, not tokens.
 * PKCE is required of every client (RFC 9700 §2.1.1), so the request carries a challenge
 * whose verifier is thrown away at once — the unused code (single use, 60 s) can then be
 * redeemed by nobody. `state` names the page to come back to (checked against RETURN_PATH).
 */
export function signInLocation(issuer: string, returnTo: string): string {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const params = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: `${issuer}${ACCOUNT_CALLBACK_PATH}`,
    code_challenge: challenge, code_challenge_method: 'S256', state: RETURN_PATH.test(returnTo) ? returnTo : '/account',
  });
  return `${issuer}/auth?${params}`;
}

/**
 * Reads the sign-in session node-oidc-provider keeps (its `_session` cookie; `ctx.oidc`
 * does not exist on Gatehouse's own routes, and `Session.get` makes a provider context
 * for the request itself). No session, an ended or expired one, or a disabled or deleted
 * account: the person is sent to sign in (a GET) or refused (a form post, 401).
 */
export function requireSignIn(options: { provider: Provider; issuer: string; accounts: Pick<AccountStore, 'findById'> }) {
  return async function loadSignedIn(ctx: Context, next: Next) {
    const session = await options.provider.Session.get(ctx);
    const account = typeof session.accountId === 'string' ? await options.accounts.findById(session.accountId) : undefined;
    if (!account || account.disabledAt) {
      ctx.set('Cache-Control', 'no-store');
      ctx.status = 303;
      // A form posted from a page whose session has ended goes back to that page after sign-in.
      ctx.redirect(signInLocation(options.issuer, ctx.method === 'GET' ? ctx.path : ctx.path.replace(/\/[^/]+\/revoke$/, '')));
      return;
    }
    ctx.state.signedIn = { account, sessionUid: session.uid };
    return next();
  };
}
