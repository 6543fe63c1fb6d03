import type Router from '@koa/router';

import { validatePasswordPolicy } from '../security/passwords.ts';
import type { AccountKit, AccountPagesDeps } from './router.ts';
import { endOtherSessions } from './sessions.ts';

type Deps = Pick<AccountPagesDeps, 'accounts' | 'checkPassword' | 'hashPassword' | 'adapter' | 'access' | 'audit'>;

/**
 * `/account/password`: the current password, then the new one twice. The current one is
 * checked as a sign-in is, under the same lockout; the new one against the password
 * policy (security/passwords.ts). On success the person's other sessions end and this one
 * stays (sessions.ts).
 */
export function passwordRoutes(router: Router, kit: AccountKit, deps: Deps): void {
  router.get('/account/password', kit.signedIn, async function showPasswordForm(ctx) {
    await kit.page(ctx, 'account-password', 'password', { changed: ctx.query.done === 'password' });
  });

  router.post('/account/password', ...kit.form, async function changePassword(ctx) {
    const form = ctx.request.form!;
    const { account, sessionUid } = ctx.state.signedIn!;
    const current = form.get('current_password') ?? '';
    const next = form.get('new_password') ?? '';
    const refuse = async (status: number, problem: { errorKey: string; field: string } | { errorText: string; field: string }) => {
      await kit.page(ctx, 'account-password', 'password', problem);
      ctx.status = status;
    };

    const checked = current ? await deps.checkPassword(account.email, current, ctx.ip) : 'wrong';
    if (checked === 'locked') return refuse(429, { errorKey: 'login.locked', field: 'current_password' });
    if (checked !== 'ok') return refuse(400, { errorKey: 'account.password.wrong', field: 'current_password' });
    const problem = validatePasswordPolicy(next);
    // The policy's own English sentence, drawn in the page's language by `known` (i18n/index.ts).
    if (problem) return refuse(400, { errorText: `The password ${problem}.`, field: 'new_password' });
    if (next !== (form.get('new_password_confirm') ?? '')) return refuse(400, { errorKey: 'password.mismatch', field: 'new_password_confirm' });

    await deps.accounts.update(account.id, { passwordHash: await deps.hashPassword(next) });
    const ended = await endOtherSessions(deps, account.id, sessionUid);
    kit.recordChange(ctx, 'changePassword', `/accounts/${account.id}/password`, { other_sessions_ended: ended });
    if (ended > 0) deps.audit?.record({ type: 'session.ended', actor: account.id, subject: account.id, ip: ctx.ip, reason: 'password_changed', details: { sessions: ended } });
    ctx.status = 303;
    ctx.redirect('/account/password?done=password');
  });
}
