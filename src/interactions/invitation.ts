import Router from '@koa/router';
import type { Context } from 'koa';

import { GatehouseError } from '../errors.ts';
import { formBody } from '../http/form-body.ts';
import type { InvitationService } from '../security/invitations.ts';
import { createCsrf } from './csrf.ts';
import type { Render } from './views.ts';

export interface InvitationPageDeps {
  invitations: Pick<InvitationService, 'open' | 'accept'>;
  render: Render;
  /** The cookie key: CSRF tokens are HMACs under it, as for the interaction forms. */
  csrfKey: string;
  issuer: string;
}

type Ctx = Context & { params: Record<string, string> };

/**
 * One answer for an unknown, used and expired link: which of them it is would tell a
 * guesser something, and tells the person nothing they can act on.
 */
const invalid = () => new GatehouseError(404, 'invalid_invitation',
  'This invitation link is not valid: it may have expired or been used already. Ask your administrator for a new one.');

/**
 * `/invitations/:token`: the page where an invited person chooses a password. The form is
 * defended like the interaction forms (csrf.ts): a token bound to the invitation and an
 * Origin check.
 */
export function invitationRouter(deps: InvitationPageDeps): Router {
  const { invitations, render } = deps;
  const csrf = createCsrf({ key: deps.csrfKey, issuer: deps.issuer, purpose: 'invitation-csrf' });
  const router = new Router({ prefix: '/invitations/:token' });

  async function load(ctx: Ctx) {
    const found = await invitations.open(ctx.params.token ?? '');
    if (!found) throw invalid();
    return found;
  }

  async function showForm(ctx: Ctx, found: Awaited<ReturnType<typeof load>>, error?: string) {
    await render(ctx, 'invitation', {
      action: `/invitations/${ctx.params.token}`, csrf: csrf.tokenFor(found.invitation.id), email: found.email, error,
    });
  }

  router.get('/', async function showInvitation(ctx) {
    await showForm(ctx, await load(ctx));
  });

  router.post('/', formBody(), csrf.checkOrigin, async function acceptInvitation(ctx) {
    const found = await load(ctx);
    const form = ctx.request.form!;
    csrf.verifyToken(ctx, found.invitation.id);
    const password = form.get('password') ?? '';
    if (password !== (form.get('password_confirm') ?? '')) {
      await showForm(ctx, found, 'The two passwords are not the same.');
      ctx.status = 400;
      return;
    }
    const result = await invitations.accept(ctx.params.token ?? '', password);
    if (!result.ok && result.reason === 'invalid') throw invalid();
    if (!result.ok) {
      await showForm(ctx, found, result.message);
      ctx.status = 400;
      return;
    }
    await render(ctx, 'invitation', { done: true, email: found.email });
  });

  return router;
}
