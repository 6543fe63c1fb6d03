import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import * as argon2 from 'argon2';

import type { BaselineAccount } from './seed.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const ROUTE = /^\/interaction\/([^/]+)(?:\/(login|confirm))?$/;

/**
 * devInteractions are off in Gatehouse, so they are off here too, replaced by the
 * smallest scripted login a team would write: a form, argon2id verification, and a
 * consent form that grants what was asked. The forms use Gatehouse's field names and
 * routes so the bench's scripted browser drives both servers the same way. No CSRF
 * token, no templates, no headers: that work is part of what the bench measures.
 */
export function interactions(provider: Provider, accounts: Map<string, BaselineAccount>) {
  async function finish(ctx: Context, result: InteractionResults) {
    const location = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(location);
  }

  return async function baselineInteractions(ctx: Context, next: Next) {
    const match = ROUTE.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const action = match[2];
    if (ctx.method === 'GET' && !action) {
      ctx.type = 'html';
      ctx.body = details.prompt.name === 'login' ? form(details.uid, 'login', '<input name="email"><input name="password" type="password">')
        : form(details.uid, 'confirm', '<button name="decision" value="allow">Allow</button>');
      return;
    }
    if (ctx.method !== 'POST') return next();
    const body = new URLSearchParams(await readBody(ctx));
    if (action === 'login') {
      const account = accounts.get(body.get('email') ?? '');
      const ok = account ? await argon2.verify(account.passwordHash, body.get('password') ?? '') : false;
      if (!account || !ok) {
        ctx.status = 200;
        ctx.body = 'wrong email or password';
        return;
      }
      return finish(ctx, { login: { accountId: account.id } });
    }
    return finish(ctx, await grantAll(provider, details));
  };
}

/** Grants exactly what the consent prompt found missing (as Gatehouse's consent page does). */
async function grantAll(provider: Provider, details: Details): Promise<InteractionResults> {
  const { prompt, params, session, grantId } = details;
  const grant = (grantId ? await provider.Grant.find(grantId) : undefined)
    ?? new provider.Grant({ accountId: session?.accountId, clientId: String(params.client_id) });
  const missing = prompt.details as {
    missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

function form(uid: string, action: string, fields: string): string {
  return `<!doctype html><form method="post" action="/interaction/${uid}/${action}"><input type="hidden" name="csrf" value="-">${fields}</form>`;
}

async function readBody(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
