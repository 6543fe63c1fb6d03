import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';

import { GatehouseError } from '../errors.ts';
import { formBody } from '../http/form-body.ts';
import { createCsrf } from './csrf.ts';
import { grantConsent, requestedScopes } from './grant-consent.ts';
import { describeScope } from './scopes.ts';
import { presentClient } from './client-presentation.ts';
import type { Render } from './views.ts';
import type { TenancyResolver } from '../security/tenancy.ts';
import type { AuditEventInput, AuditSink } from '../audit/events.ts';
import { attemptLogin, type LoginAttemptDeps } from '../security/credentials.ts';
import type { LoginThrottle } from '../security/rate-limit/login-throttle.ts';
import { addressKey } from '../security/rate-limit/identity.ts';

export interface Authenticator {
  /** Same answer time for an unknown email as for a wrong password (no enumeration). */
  authenticate: LoginAttemptDeps['authenticate'];
  findById(id: string): Promise<{ id: string; email: string } | undefined>;
}

export interface InteractionDeps {
  provider: Provider;
  render: Render;
  accounts: Authenticator;
  csrfKey: string;
  issuer: string;
  /** Decides which role-governed scopes an account may be granted. */
  tenancy?: TenancyResolver;
  /** Told of every failed login (counted as an authentication failure): a wrong credential, or refused by a lock. */
  onLoginFailed?: (reason: 'invalid_credentials' | 'locked') => void;
  /** Failed sign-ins per account and per address (security/rate-limit/login-throttle.ts). */
  throttle: LoginThrottle;
  /** The throttle's store failed; sign-in goes on without it. */
  onThrottleError?: (err: unknown) => void;
  /** Audit events: consent granted or denied (and the login part's login.* events). */
  audit?: AuditSink;
}

/** One message for an unknown email and a wrong password: it must not say which. */
export const LOGIN_FAILED = 'The email or password is incorrect.';
/**
 * Shown while the email's account or the address is locked, the same for an email that has
 * no account: the lock counts failures per email, known or not, so it reveals nothing.
 */
export const LOGIN_LOCKED = 'Too many failed sign-in attempts. Wait a few minutes, then try again.';

/** The login and consent pages node-oidc-provider sends the user to (`interactions.url`). */
export function interactionRouter(deps: InteractionDeps): Router {
  const { provider, render, accounts } = deps;
  const { tokenFor, verifyCsrf } = createCsrf({ key: deps.csrfKey, issuer: deps.issuer, purpose: 'interaction-csrf' });
  const router = new Router({ prefix: '/interaction/:uid' });

  async function finish(ctx: Context, result: InteractionResults) {
    const location = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(location);
  }

  async function appOf(ctx: Context, clientId: unknown) {
    return presentClient(ctx, await provider.Client.find(String(clientId)), clientId);
  }

  async function details(ctx: Context, expected?: 'login' | 'consent') {
    const found = await provider.interactionDetails(ctx.req, ctx.res);
    if (found.uid !== ctx.params.uid) throw new GatehouseError(400, 'invalid_request', 'this sign-in request is not the current one');
    if (expected && found.prompt.name !== expected) {
      throw new GatehouseError(400, 'invalid_request', `this sign-in request is not waiting for ${expected}`);
    }
    return found;
  }

  async function showLogin(ctx: Context, found: Awaited<ReturnType<typeof details>>, extra: { error?: string; email?: string } = {}) {
    await render(ctx, 'login', {
      uid: found.uid, csrf: tokenFor(found.uid), app: await appOf(ctx, found.params.client_id),
      error: extra.error, email: extra.email ?? found.params.login_hint ?? '', uiLocales: found.params.ui_locales,
    });
  }

  /** consent.granted / consent.denied: who, which client (and its organization), which scopes. */
  async function recordConsent(ctx: Context, found: Awaited<ReturnType<typeof details>>, granted: boolean, reason?: string) {
    if (!deps.audit) return;
    const clientId = String(found.params.client_id);
    // The client was just loaded for this interaction; a failed look-up only loses the org.
    const orgId = await provider.Client.find(clientId).then((c) => c?.['org_id'], () => undefined);
    deps.audit.record({
      type: granted ? 'consent.granted' : 'consent.denied', actor: found.session?.accountId, subject: found.session?.accountId,
      clientId, orgId: typeof orgId === 'string' ? orgId : undefined, ip: ctx.ip, reason,
      details: { scopes: requestedScopes(found) },
    });
  }

  router.get('/', async function showInteraction(ctx) {
    const found = await details(ctx);
    if (found.prompt.name === 'login') return showLogin(ctx, found);
    if (found.prompt.name !== 'consent') throw new GatehouseError(400, 'invalid_request', `unsupported prompt ${found.prompt.name}`);

    const client = await provider.Client.find(String(found.params.client_id));
    // A first-party client (its metadata says so) is part of this deployment: no consent page.
    if (client?.['first_party'] === true) {
      const result = await grantConsent(provider, found, deps.tenancy);
      await recordConsent(ctx, found, true, 'first_party');
      return finish(ctx, result);
    }
    const account = found.session?.accountId ? await accounts.findById(found.session.accountId) : undefined;
    await render(ctx, 'consent', {
      uid: found.uid, csrf: tokenFor(found.uid), app: presentClient(ctx, client, found.params.client_id),
      scopes: requestedScopes(found).map(describeScope), accountEmail: account?.email ?? '', uiLocales: found.params.ui_locales,
    });
  });

  router.post('/login', formBody(), verifyCsrf, async function submitLogin(ctx) {
    const found = await details(ctx, 'login');
    const form = ctx.request.form!;
    const email = form.get('email')?.trim() ?? '';
    const password = form.get('password') ?? '';
    const clientId = String(found.params.client_id);
    const audit = (event: Omit<AuditEventInput, 'ip' | 'clientId'>) => deps.audit?.record({ ...event, ip: ctx.ip, clientId });
    if (!email || !password) {
      deps.onLoginFailed?.('invalid_credentials');
      audit({ type: 'login.failed', reason: 'missing_credentials' });
      return showLogin(ctx, found, { error: LOGIN_FAILED, email });
    }
    // An IPv6 address counts by its /64, as for rate limits (identity.ts).
    const outcome = await attemptLogin({
      authenticate: (e, p) => accounts.authenticate(e, p), throttle: deps.throttle, onThrottleError: (err) => deps.onThrottleError?.(err),
    }, email, password, addressKey(ctx.ip));
    if (outcome.ok) {
      audit({ type: 'login.succeeded', actor: outcome.account.id, subject: outcome.account.id });
      return finish(ctx, { login: { accountId: outcome.account.id } });
    }
    if (outcome.reason === 'locked') {
      deps.onLoginFailed?.('locked');
      audit({ type: 'login.locked', reason: 'locked', details: { retry_after: Math.ceil(outcome.retryAfterMs / 1000) } });
      return showLogin(ctx, found, { error: LOGIN_LOCKED, email });
    }
    deps.onLoginFailed?.('invalid_credentials');
    audit({ type: 'login.failed', subject: outcome.accountId, reason: outcome.reason });
    if (outcome.locked) audit({ type: 'login.locked', subject: outcome.accountId, reason: 'too_many_failures' });
    return showLogin(ctx, found, { error: outcome.locked ? LOGIN_LOCKED : LOGIN_FAILED, email });
  });

  router.post('/confirm', formBody(), verifyCsrf, async function submitConsent(ctx) {
    const found = await details(ctx, 'consent');
    const decision = ctx.request.form!.get('decision');
    if (decision === 'allow') {
      const result = await grantConsent(provider, found, deps.tenancy);
      await recordConsent(ctx, found, true);
      return finish(ctx, result);
    }
    if (decision === 'deny') {
      await recordConsent(ctx, found, false, 'access_denied');
      return finish(ctx, { error: 'access_denied', error_description: 'The user denied the request' });
    }
    throw new GatehouseError(400, 'invalid_request', 'decision must be allow or deny');
  });

  router.post('/abort', formBody(), verifyCsrf, async function abortInteraction(ctx) {
    await details(ctx);
    return finish(ctx, { error: 'access_denied', error_description: 'The user cancelled the sign-in' });
  });

  return router;
}
