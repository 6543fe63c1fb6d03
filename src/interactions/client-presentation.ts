import type { Context } from 'koa';
import type { Client } from 'oidc-provider';

import { allowImageSource } from '../http/security-headers.ts';

/** What the login and consent pages show of the app asking: its name, logo and legal links. */
export interface ClientPresentation {
  name: string;
  /** Shown only from https (the page itself must not load mixed or scriptable content). */
  logoUri?: string;
  /** The app's privacy policy and terms of service (OIDC Registration §2), http(s) only. */
  policyUri?: string;
  tosUri?: string;
}

function urlOf(value: unknown, schemes: readonly string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  const url = URL.parse(value);
  return url && schemes.includes(url.protocol) ? url.href : undefined;
}

/**
 * The registered `client_name`, `logo_uri`, `policy_uri` and `tos_uri` of the client, as
 * the pages may show them. A URL with another scheme (`javascript:`, `data:`) is left out,
 * whoever registered it. The logo comes from the app's own server, so the page's
 * Content-Security-Policy names that origin for this response only.
 */
export function presentClient(ctx: Context, client: Client | undefined, clientId: unknown): ClientPresentation {
  const logoUri = urlOf(client?.logoUri, ['https:']);
  if (logoUri) allowImageSource(ctx, new URL(logoUri).origin);
  const policyUri = urlOf(client?.policyUri, ['https:', 'http:']);
  const tosUri = urlOf(client?.tosUri, ['https:', 'http:']);
  return {
    name: client?.clientName ?? String(clientId),
    ...(logoUri && { logoUri }), ...(policyUri && { policyUri }), ...(tosUri && { tosUri }),
  };
}
