import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';

import { GatehouseError } from '../errors.ts';
import { formBody } from '../http/form-body.ts';
import { createCsrf } from './csrf.ts';
import { grantConsent, requestedScopes } from './grant-consent.ts';
import { describeScope } from './scopes.ts';
import type { Render } from './views.ts';

export interface Authenticator {
  /** Same answer time for an unknown email as for a wrong password (no enumeration). */
  authenticate(email: string, password: string): Promise<{ id: string; email: string } | undefined>;
  findById(id: string): Promise<{ id: string; email: string } | undefined>;
}

export interface InteractionDeps {
  provider: Provider;
  render: Render;
  accounts: Authenticator;
  csrfKey: string;
  issuer: string;
  /** Told of every failed login (counted as an authentication failure). */
  onLoginFailed?: () => void;
}

/** One message for an unknown email and a wrong password: it must not say which. */
export const LOGIN_FAILED = 'The email or password is incorrect.';

/** The login and consent pages node-oidc-provider sends the user to (`interactions.url`). */
export function interactionRouter(deps: InteractionDeps): Router {
  const { provider, render, accounts } = deps;
  const { tokenFor, verifyCsrf } = createCsrf({ key: deps.csrfKey, issuer: deps.issuer, purpose: 'interaction-csrf' });
  const router = new Router({ prefix: '/interaction/:uid' });

  async function finish(ctx: Context, result: InteractionResults) {
    const location = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(location);
  }

  async function clientName(clientId: unknown): Promise<string> {
    const client = await provider.Client.find(String(clientId));
    return client?.clientName ?? String(clientId);
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
      uid: found.uid, csrf: tokenFor(found.uid), clientName: await clientName(found.params.client_id),
      error: extra.error, email: extra.email ?? found.params.login_hint ?? '',
    });
  }

  router.get('/', async function showInteraction(ctx) {
    const found = await details(ctx);
    if (found.prompt.name === 'login') return showLogin(ctx, found);
    if (found.prompt.name !== 'consent') throw new GatehouseError(400, 'invalid_request', `unsupported prompt ${found.prompt.name}`);

    const client = await provider.Client.find(String(found.params.client_id));
    // A first-party client (its metadata says so) is part of this deployment: no consent page.
    if (client?.['first_party'] === true) return finish(ctx, await grantConsent(provider, found));
    const account = found.session?.accountId ? await accounts.findById(found.session.accountId) : undefined;
    await render(ctx, 'consent', {
      uid: found.uid, csrf: tokenFor(found.uid), clientName: client?.clientName ?? found.params.client_id,
      scopes: requestedScopes(found).map(describeScope), accountEmail: account?.email ?? '',
    });
  });

  router.post('/login', formBody(), verifyCsrf, async function submitLogin(ctx) {
    const found = await details(ctx, 'login');
    const form = ctx.request.form!;
    const email = form.get('email')?.trim() ?? '';
    const password = form.get('password') ?? '';
    const account = email && password ? await accounts.authenticate(email, password) : undefined;
    if (!account) {
      deps.onLoginFailed?.();
      return showLogin(ctx, found, { error: LOGIN_FAILED, email });
    }
    return finish(ctx, { login: { accountId: account.id } });
  });

  router.post('/confirm', formBody(), verifyCsrf, async function submitConsent(ctx) {
    const found = await details(ctx, 'consent');
    const decision = ctx.request.form!.get('decision');
    if (decision === 'allow') return finish(ctx, await grantConsent(provider, found));
    if (decision === 'deny') {
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
