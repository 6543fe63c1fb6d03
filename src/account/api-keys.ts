import type Router from '@koa/router';
import type { Context } from 'koa';

import { GatehouseError } from '../errors.ts';
import { ApiKeyInputError } from '../security/api-keys.ts';
import type { AccountKit, AccountPagesDeps } from './router.ts';

/** The lifetimes offered; those above API_KEY_MAX_EXPIRES_IN_DAYS are left out. */
const LIFETIMES_DAYS = [7, 30, 90, 365] as const;
const FIELD_ERRORS: Readonly<Record<string, string>> = {
  name: 'account.apiKeys.error.name', scopes: 'account.apiKeys.error.scopes',
  expires_in_days: 'account.apiKeys.error.expiry', expires_at: 'account.apiKeys.error.expiry',
};

export function lifetimesFor(maxDays: number): number[] {
  const offered = LIFETIMES_DAYS.filter((d) => d <= maxDays);
  return offered.length > 0 ? offered : [maxDays];
}

/**
 * `/account/api-keys`: the person's own API keys. The rule for what a key may hold is the
 * admin API's for an account (admin/routes/api-keys.ts, admin/authenticate.ts): the admin
 * scopes the account's role allows (all for a platform admin, its role's in its one
 * organization, none otherwise), and the key belongs to that organization. A key is shown
 * once, in the answer to the form that made it (never in a URL, never stored in the clear).
 */
export function apiKeyRoutes(router: Router, kit: AccountKit, deps: AccountPagesDeps): void {
  const lifetimes = lifetimesFor(deps.apiKeyMaxDays);
  const defaultDays = lifetimes.includes(90) ? 90 : lifetimes.at(-1)!;

  async function showKeys(ctx: Context, extra: Record<string, unknown> = {}) {
    const { account } = ctx.state.signedIn!;
    const [tenant, page] = await Promise.all([
      deps.tenancy.resolve(account.id, undefined),
      deps.apiKeyStore.list({ ownerType: 'account', ownerId: account.id, limit: 100 }),
    ]);
    await kit.page(ctx, 'account-api-keys', 'api-keys', {
      keys: page.items.map((r) => deps.apiKeys.toPublic(r)), allowedScopes: [...tenant.adminScopes], lifetimes, defaultDays,
      chosen: new Set<string>(), keyName: '', ...extra,
    });
  }

  router.get('/account/api-keys', kit.signedIn, async function listKeys(ctx) {
    await showKeys(ctx, { revoked: ctx.query.done === 'key' });
  });

  router.post('/account/api-keys', ...kit.form, async function createKey(ctx) {
    const form = ctx.request.form!;
    const { account } = ctx.state.signedIn!;
    const tenant = await deps.tenancy.resolve(account.id, undefined);
    // One checkbox per scope, each its own field (a field sent twice is refused: http/form-body.ts).
    const scopes = [...tenant.adminScopes].filter((s) => form.get(`scope_${s}`) === 'on');
    const name = form.get('name') ?? '';
    const days = Number(form.get('expires_in_days'));
    const again = (field: string) => async () => {
      await showKeys(ctx, { errorKey: FIELD_ERRORS[field], errorField: field, keyName: name, chosen: new Set(scopes), defaultDays: days });
      ctx.status = 400;
    };
    if (!lifetimes.includes(days)) return again('expires_in_days')();
    if (scopes.length === 0) return again('scopes')();
    let issued;
    try {
      issued = await deps.apiKeys.issue({ name, scopes, expires_in_days: days }, {
        owner: { type: 'account', id: account.id }, orgId: tenant.orgId, allowedScopes: [...tenant.adminScopes],
      });
    } catch (err) {
      if (err instanceof ApiKeyInputError) return again(err.field in FIELD_ERRORS ? err.field : 'name')();
      throw err;
    }
    const key = deps.apiKeys.toPublic(issued.record);
    kit.recordChange(ctx, 'createApiKey', `/api-keys/${key.id}`, { after: key });
    await kit.page(ctx, 'account-api-key-created', 'api-keys', { key, secret: issued.key });
    ctx.status = 201;
  });

  router.post('/account/api-keys/:id/revoke', ...kit.form, async function revokeKey(ctx) {
    const { account } = ctx.state.signedIn!;
    const record = await deps.apiKeyStore.findById(ctx.params.id ?? '');
    // Another person's key does not exist for this page.
    if (!record || record.owner.type !== 'account' || record.owner.id !== account.id) {
      throw new GatehouseError(404, 'not_found', 'you have no API key with this id');
    }
    await deps.apiKeys.revoke(record.id);
    kit.recordChange(ctx, 'revokeApiKey', `/api-keys/${record.id}`);
    ctx.status = 303;
    ctx.redirect('/account/api-keys?done=key');
  });
}
