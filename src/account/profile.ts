import type Router from '@koa/router';

import type { AccountKit, AccountPagesDeps } from './router.ts';

const NAME_MAX = 200;

/** A display name: 1 to 200 characters (code points) after trimming, no control characters. */
export function checkDisplayName(value: string | undefined): string | undefined {
  const name = value?.trim() ?? '';
  const length = [...name].length;
  return length >= 1 && length <= NAME_MAX && !/\p{Cc}/u.test(name) ? name : undefined;
}

/**
 * `/account`: who is signed in (name, email) and the name, which the person may change.
 * The email is the sign-in identifier and stays as the administrator set it: changing it
 * would need a proof of the new address.
 */
export function profileRoutes(router: Router, kit: AccountKit, deps: Pick<AccountPagesDeps, 'accounts'>): void {
  router.get('/account', kit.signedIn, async function showProfile(ctx) {
    await kit.page(ctx, 'account', 'profile', { saved: ctx.query.done === 'profile', name: ctx.state.signedIn!.account.name });
  });

  router.post('/account/profile', ...kit.form, async function saveProfile(ctx) {
    const given = ctx.request.form!.get('name') ?? '';
    const name = checkDisplayName(given);
    if (name === undefined) {
      await kit.page(ctx, 'account', 'profile', { error: 'account.profile.nameInvalid', name: given });
      ctx.status = 400;
      return;
    }
    const { account } = ctx.state.signedIn!;
    await deps.accounts.update(account.id, { name });
    kit.recordChange(ctx, 'updateProfile', `/accounts/${account.id}`, { before: { name: account.name }, after: { name } });
    ctx.status = 303;
    ctx.redirect('/account?done=profile');
  });
}
