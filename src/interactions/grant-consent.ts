import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';

import type { TenancyResolver } from '../security/tenancy.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Records the user's consent: adds exactly what the consent prompt found missing to the
 * existing grant (or a new one), so scopes granted before are not asked again.
 *
 * A token's scopes are what was asked ∩ what the client may ask (node-oidc-provider checks
 * the client's registered `scope`) ∩ what the account's roles allow. The last part happens
 * here: a scope that roles decide and the account's roles lack is recorded as *rejected*
 * in the grant, not granted. The token response then names the narrower scope (RFC 6749
 * §3.3), and because node-oidc-provider counts rejected scopes as already decided, the
 * consent prompt does not come back for them.
 */
export async function grantConsent(provider: Provider, details: Details, tenancy?: TenancyResolver): Promise<InteractionResults> {
  const { prompt, params, session, grantId } = details;
  const accountId = session?.accountId;
  const clientId = String(params.client_id);
  const grant = (grantId ? await provider.Grant.find(grantId) : undefined)
    ?? new provider.Grant({ accountId, clientId });

  const missing = prompt.details as {
    missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]>;
  };
  const allowed = await roleFilter(provider, tenancy, accountId, clientId);
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    const granted = scopes.filter(allowed);
    const refused = scopes.filter((s) => !allowed(s));
    if (granted.length) grant.addResourceScope(indicator, granted.join(' '));
    if (refused.length) grant.rejectResourceScope(indicator, refused.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

async function roleFilter(
  provider: Provider, tenancy: TenancyResolver | undefined, accountId: string | undefined, clientId: string,
): Promise<(scope: string) => boolean> {
  if (!tenancy) return () => true;
  if (!accountId) return (s) => !tenancy.governs(s);
  const client = await provider.Client.find(clientId);
  const orgId = client?.['org_id'];
  const { adminScopes } = await tenancy.resolve(accountId, typeof orgId === 'string' ? orgId : undefined);
  return (s) => !tenancy.governs(s) || adminScopes.has(s);
}

/** The scopes the consent page lists: what is asked now and not granted yet. */
export function requestedScopes(details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...new Set([...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()])];
}
