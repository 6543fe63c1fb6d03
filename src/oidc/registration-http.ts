import type { Context } from 'koa';
import type Provider from 'oidc-provider';

import type { AuditSink } from '../audit/events.ts';
import { GatehouseError } from '../errors.ts';
import type { SecretHasher } from '../security/client-secrets.ts';
import type { RateLimiter } from '../security/rate-limit/gcra.ts';
import type { RateLimitTier } from '../security/rate-limit/tiers.ts';
import type { AddressGuard, Resolver } from '../security/ssrf.ts';
import type { ClientDirectory } from '../stores/client-directory.ts';
import type { RegistrationConfig } from './registration-config.ts';
import type { Allowance } from './registration-policy.ts';
import type { RegistrationTokens } from './registration-tokens.ts';

/** What the registration endpoints (RFC 7591 and RFC 7592) work with. */
export interface RegistrationDeps {
  config: RegistrationConfig;
  issuer: string;
  provider: Pick<Provider, 'Client'>;
  /** Where clients are stored; its `remove` also revokes their tokens (security/revocation.ts). */
  directory: ClientDirectory;
  tokens: RegistrationTokens;
  secrets: Pick<SecretHasher, 'hash' | 'verify'>;
  /** Counts open registrations per source address. */
  limiter: RateLimiter;
  tier: RateLimitTier;
  audit: AuditSink;
  onLimiterFailure?: (err: unknown) => void;
  /** Where the URLs in a client's metadata may point (CLIENT_URLS_ALLOW_PRIVATE / _ALLOWED_CIDRS). */
  urlGuard: AddressGuard;
  resolve?: Resolver;
  now?: () => number;
}

/** The registration endpoint's path (node-oidc-provider's default for it). */
export const REGISTRATION_PATH = '/reg';

export const clientUri = (issuer: string, clientId: string) => `${issuer}${REGISTRATION_PATH}/${encodeURIComponent(clientId)}`;

/** RFC 6750 §2.1: `Authorization: Bearer <token>`; undefined without one. */
export function bearerToken(ctx: Context): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(ctx.get('Authorization'));
  return match?.[1];
}

/**
 * 401 with the RFC 6750 §3 challenge. Without any credentials the challenge names no
 * error (§3.1); with a bad one it says `invalid_token`.
 */
export function unauthorized(ctx: Context, issuer: string, description: string, presented: boolean): GatehouseError {
  const challenge = presented ? `Bearer realm="${issuer}", error="invalid_token", error_description="${description}"` : `Bearer realm="${issuer}"`;
  ctx.set('WWW-Authenticate', challenge);
  return new GatehouseError(401, 'invalid_token', description);
}

/**
 * What a registration may ask for: the configured grants and scopes; client_credentials
 * only for clients an administrator let in with an initial access token.
 */
export function allowanceFor(config: RegistrationConfig, via: 'initial_access_token' | 'open'): Allowance {
  return { grantTypes: new Set(config.grantTypes), scopes: config.scopes, clientCredentials: via === 'initial_access_token' };
}

/** RFC 7591 §3.2.1 / RFC 7592 §3: the response carries credentials, so nothing may cache it. */
export function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
}
