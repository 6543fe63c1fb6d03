import type Router from '@koa/router';
import type Provider from 'oidc-provider';

import { GatehouseError } from '../errors.ts';
import { ACCOUNT_CLIENT_ID } from './client.ts';
import type { AccountKit, AccountPagesDeps } from './router.ts';

/** One connected app: every live grant the account gave one client, taken together. */
export interface ConnectedApp {
  clientId: string;
  clientName: string;
  grantIds: string[];
  /** Scopes of the OpenID Connect part of the grants (userinfo, ID token, refresh). */
  scopes: string[];
  /** Scopes granted per API (RFC 8707 resource indicator). */
  resources: [resource: string, scopes: string[]][];
  /** When it was first allowed. */
  since: Date | undefined;
}

const union = (into: Set<string>, scope: unknown) => {
  if (typeof scope === 'string') for (const s of scope.split(' ')) if (s) into.add(s);
};

/**
 * The account's grants, per client. node-oidc-provider makes a grant per sign-in session
 * and client, so one app may hold several; revoking the app revokes them all. The account
 * pages' own client is not an app the person connected, and is left out.
 */
export async function connectedApps(deps: Pick<AccountPagesDeps, 'access'> & { provider: Provider }, accountId: string): Promise<ConnectedApp[]> {
  const entries = (await deps.access.list(accountId, new Date())).filter((e) => e.kind === 'grant');
  const grants = await Promise.all(entries.map((e) => deps.provider.Grant.find(e.id)));
  type Found = { grantIds: string[]; scopes: Set<string>; resources: Map<string, Set<string>>; since: number | undefined };
  const byClient = new Map<string, Found>();
  for (const grant of grants) {
    if (!grant?.jti || grant.accountId !== accountId || !grant.clientId || grant.clientId === ACCOUNT_CLIENT_ID) continue;
    const app: Found = byClient.get(grant.clientId) ?? { grantIds: [], scopes: new Set(), resources: new Map(), since: undefined };
    byClient.set(grant.clientId, app);
    app.grantIds.push(grant.jti);
    union(app.scopes, grant.openid?.scope);
    for (const [resource, scope] of Object.entries(grant.resources ?? {})) {
      const scopes = app.resources.get(resource) ?? new Set<string>();
      app.resources.set(resource, scopes);
      union(scopes, scope);
    }
    if (typeof grant.iat === 'number' && (app.since === undefined || grant.iat < app.since)) app.since = grant.iat;
  }
  const apps = await Promise.all([...byClient].map(async ([clientId, app]) => {
    const client = await deps.provider.Client.find(clientId);
    return {
      clientId, clientName: client?.clientName ?? clientId, grantIds: app.grantIds, scopes: [...app.scopes],
      resources: [...app.resources].map(([r, s]) => [r, [...s]] as [string, string[]]),
      since: app.since === undefined ? undefined : new Date(app.since * 1000),
    };
  }));
  return apps.sort((a, b) => a.clientName.localeCompare(b.clientName));
}

/**
 * `/account/apps`: the apps the person allowed (client, scopes, since when), each with a
 * button that revokes its grants: every access and refresh token issued under them stops
 * working at once (RFC 7009 §2.1), and the app must ask for consent again.
 */
export function appRoutes(router: Router, kit: AccountKit, deps: AccountPagesDeps): void {
  router.get('/account/apps', kit.signedIn, async function showApps(ctx) {
    const apps = await connectedApps(deps, ctx.state.signedIn!.account.id);
    await kit.page(ctx, 'account-apps', 'apps', { apps, revoked: ctx.query.done === 'app' });
  });

  router.post('/account/apps/:clientId/revoke', ...kit.form, async function revokeApp(ctx) {
    const { account } = ctx.state.signedIn!;
    const app = (await connectedApps(deps, account.id)).find((a) => a.clientId === ctx.params.clientId);
    if (!app) throw new GatehouseError(404, 'not_found', 'this app is not connected to your account');
    for (const grantId of app.grantIds) {
      await deps.revokeGrant(grantId);
      deps.audit?.record({
        type: 'grant.revoked', actor: account.id, subject: account.id, clientId: app.clientId, ip: ctx.ip,
        target: `grant:${grantId}`, reason: 'account_page',
      });
    }
    ctx.status = 303;
    ctx.redirect('/account/apps?done=app');
  });
}
