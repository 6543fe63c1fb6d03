import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Records the user's consent: adds exactly what the consent prompt found missing to the
 * existing grant (or a new one), so scopes granted before are not asked again.
 */
export async function grantConsent(provider: Provider, details: Details): Promise<InteractionResults> {
  const { prompt, params, session, grantId } = details;
  const accountId = session?.accountId;
  const clientId = String(params.client_id);
  const grant = (grantId ? await provider.Grant.find(grantId) : undefined)
    ?? new provider.Grant({ accountId, clientId });

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

/** The scopes the consent page lists: what is asked now and not granted yet. */
export function requestedScopes(details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...new Set([...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()])];
}
