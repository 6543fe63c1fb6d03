import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';

import type { AuditSink } from '../audit/events.ts';
import { formBody } from '../http/form-body.ts';
import { createCsrf } from '../interactions/csrf.ts';
import type { Render } from '../interactions/views.ts';
import type { AdapterFactory } from '../oidc/adapter-guard.ts';
import type { ApiKeyService } from '../security/api-keys.ts';
import type { TenancyResolver } from '../security/tenancy.ts';
import type { AccountAccessStore } from '../stores/account-access.ts';
import type { AccountStore } from '../stores/accounts.ts';
import type { ApiKeyStore } from '../stores/api-keys.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { appRoutes } from './apps.ts';
import { passwordRoutes } from './password.ts';
import { profileRoutes } from './profile.ts';
import { RETURN_PATH, requireSignIn, signInLocation } from './session.ts';

export interface AccountPagesDeps {
  provider: Provider;
  render: Render;
  issuer: string;
  /** The cookie key: CSRF tokens are HMACs under it, as for the sign-in forms. */
  csrfKey: string;
  accounts: Pick<AccountStore, 'findById' | 'update'>;
  /**
   * Checks the current password as a sign-in would, under the same failed-login throttle
   * (security/rate-limit/login-throttle.ts), so the page is no way around the lockout.
   */
  checkPassword(email: string, password: string, ip: string): Promise<'ok' | 'wrong' | 'locked'>;
  hashPassword(password: string): Promise<string>;
  /** The grants and sessions each account holds (oidc/revoke-grants.ts). */
  access: Pick<AccountAccessStore, 'list'>;
  adapter: AdapterFactory;
  /** Revokes a grant and every token issued under it (oidc/revoke-grants.ts). */
  revokeGrant(grantId: string): Promise<void>;
  tenancy: TenancyResolver;
  apiKeys: ApiKeyService;
  apiKeyStore: Pick<ApiKeyStore, 'list' | 'findById'>;
  /** The lifetimes offered for a new API key are those up to this (API_KEY_MAX_EXPIRES_IN_DAYS). */
  apiKeyMaxDays: number;
  audit?: AuditSink;
}

/** Renders an account page with what every one needs: the account, the CSRF token, the navigation. */
export type AccountPage = (ctx: Context, view: string, nav: string, locals?: Record<string, unknown>) => Promise<void>;

export interface AccountKit {
  page: AccountPage;
  /** GET pages: the person must be signed in. */
  signedIn: Middleware;
  /** POST forms: Origin check, signed in, the form read, its CSRF token checked. */
  form: Middleware[];
  /** Records a change the person made to their own account. */
  recordChange(ctx: Context, operation: string, target: string, details?: Record<string, unknown>): void;
}

/**
 * The account pages under /account, where a person sees and changes their own account:
 * profile, password, connected apps, personal API keys. They use the sign-in session of
 * OIDC sign-in (session.ts). Every form is defended like the sign-in forms (csrf.ts): an
 * Origin check and a token bound to the session; the cookies are SameSite=Lax; every
 * page is no-store (the renderer).
 */
export function accountRouter(deps: AccountPagesDeps): Router {
  const router = new Router();
  const csrf = createCsrf({ key: deps.csrfKey, issuer: deps.issuer, purpose: 'account-csrf' });
  const signedIn = requireSignIn(deps);

  function verifyAccountCsrf(ctx: Context, next: Next) {
    csrf.verifyToken(ctx, ctx.state.signedIn!.sessionUid);
    return next();
  }

  const kit: AccountKit = {
    signedIn,
    form: [csrf.checkOrigin, signedIn, formBody(), verifyAccountCsrf],
    page: (ctx, view, nav, locals = {}) => {
      const { account, sessionUid } = ctx.state.signedIn!;
      return deps.render(ctx, view, { ...locals, account, csrf: csrf.tokenFor(sessionUid), accountNav: nav });
    },
    recordChange(ctx, operation, target, details = {}) {
      const id = ctx.state.signedIn!.account.id;
      deps.audit?.record({
        type: 'admin.change', actor: id, subject: id, ip: ctx.ip, target,
        details: { operation, actor_type: 'account', via: 'account_page', ...details },
      });
    },
  };

  // Where the account client's sign-in comes back (session.ts): the session is set now.
  router.get('/account/callback', async function accountCallback(ctx) {
    const state = typeof ctx.query.state === 'string' && RETURN_PATH.test(ctx.query.state) ? ctx.query.state : '/account';
    if (typeof ctx.query.error === 'string') {
      // e.g. access_denied: the person cancelled on the login page.
      await deps.render(ctx, 'account-signin-failed', { error: ctx.query.error, retry: signInLocation(deps.issuer, state) });
      return;
    }
    ctx.status = 303;
    ctx.redirect(state);
  });

  profileRoutes(router, kit, deps);
  passwordRoutes(router, kit, deps);
  appRoutes(router, kit, deps);
  apiKeyRoutes(router, kit, deps);
  return router;
}
