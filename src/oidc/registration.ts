import type Provider from 'oidc-provider';

import type { AuditSink } from '../audit/events.ts';
import type { SecretHasher } from '../security/client-secrets.ts';
import type { RateLimiter } from '../security/rate-limit/gcra.ts';
import { createMemoryRateLimiter } from '../security/rate-limit/memory-limiter.ts';
import type { RateLimitTier } from '../security/rate-limit/tiers.ts';
import { createAddressGuard, type AddressPolicy } from '../security/ssrf.ts';
import type { ClientDirectory } from '../stores/client-directory.ts';
import type { AdapterFactory } from './adapter-guard.ts';
import type { RegistrationConfig } from './registration-config.ts';
import { trackFirstUse } from './registration-clients.ts';
import { advertiseRegistration, REGISTRATION_TIER, registrationRouter } from './registration-endpoint.ts';
import { createRegistrationTokens, type RegistrationTokens } from './registration-tokens.ts';

export interface RegistrationSetupDeps {
  config: RegistrationConfig;
  issuer: string;
  /** The stores' adapters (not the provider's): initial and registration access tokens live beside its models. */
  adapter: AdapterFactory;
  /** The client directory whose `remove` also revokes the client's tokens. */
  directory: ClientDirectory;
  secrets: Pick<SecretHasher, 'hash' | 'verify'>;
  audit: AuditSink;
  /** The shared request limiter (Redis when configured); none (RATE_LIMITS=off): an in-process one, so open registration keeps its quota. */
  limiter: RateLimiter | undefined;
  tiers: Readonly<Record<string, RateLimitTier>>;
  /** Where the URLs in a client's metadata may point (config.clientUrls). */
  urlPolicy: AddressPolicy;
  onError?: (err: unknown, what: string) => void;
}

export interface Registration {
  /** For the admin API (admin/routes/registrations.ts); undefined when REGISTRATION=off. */
  tokens: RegistrationTokens | undefined;
  /** Mounts the endpoints: after the error handler, before the provider's routes. Nothing when REGISTRATION=off. */
  mount(): void;
}

/**
 * Dynamic client registration (RFC 7591, RFC 7592) for the composition root: the
 * endpoints, discovery's `registration_endpoint`, and marking clients used when they first
 * get a token (their expiry: sweepUnusedClients). docs/registration.md.
 */
export function setUpRegistration(provider: Provider, deps: RegistrationSetupDeps): Registration {
  const { config } = deps;
  if (config.mode === 'off') return { tokens: undefined, mount() {} };
  trackFirstUse(provider, deps.directory, { onError: (err) => deps.onError?.(err, 'marking a self-registered client used') });
  const tokens = createRegistrationTokens({
    initialAccessTokens: deps.adapter('InitialAccessToken'), registrationAccessTokens: deps.adapter('RegistrationAccessToken'), hasher: deps.secrets,
  });
  const router = registrationRouter({
    config, issuer: deps.issuer, provider, directory: deps.directory, tokens, secrets: deps.secrets, audit: deps.audit,
    limiter: deps.limiter ?? createMemoryRateLimiter(), tier: deps.tiers['registration'] ?? REGISTRATION_TIER, urlGuard: createAddressGuard(deps.urlPolicy),
    onLimiterFailure: (err) => deps.onError?.(err, 'the registration quota could not be checked'),
  });
  return {
    tokens,
    mount() {
      provider.use(advertiseRegistration(deps.issuer));
      provider.use(router.routes());
      provider.use(router.allowedMethods());
    },
  };
}
