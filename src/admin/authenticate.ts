import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';

import { GatehouseError } from '../errors.ts';
import { createDpopProofVerifier, DPOP_ALGORITHMS } from '../oidc/dpop-proof.ts';
import type { AuditSink } from '../audit/events.ts';
import { API_KEY_PATTERN, checkApiKey } from '../security/api-key-format.ts';
import type { ApiKeyService } from '../security/api-keys.ts';
import { createAllowListCache } from '../security/ip-allow-list.ts';
import type { Revocation } from '../security/revocation.ts';
import { RevocationListUnavailableError, type TokenFacts } from '../stores/revocation-list.ts';
import type { Principal } from './principal.ts';
import type { TenancyResolver } from '../security/tenancy.ts';

const REALM = 'gatehouse-admin';

declare module 'koa' {
  interface DefaultState {
    principal?: Principal;
  }
}

/** 401 with an RFC 6750 §3 challenge; `error` only when a credential was presented. */
function unauthorized(ctx: Context, description: string, presented: boolean): GatehouseError {
  ctx.set('WWW-Authenticate', presented
    ? `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`
    : `Bearer realm="${REALM}"`);
  return new GatehouseError(401, 'invalid_token', description);
}

/** `Authorization: Bearer <credential>`, `Authorization: DPoP <access token>` (RFC 9449 §7.1) or `X-API-Key: <key>`. */
function credentialOf(ctx: Context): { value: string; dpop: boolean } | undefined {
  const header = ctx.get('Authorization');
  const match = /^(Bearer|DPoP) +([\x21-\x7E]+) *$/i.exec(header);
  if (match) return { value: match[2]!, dpop: match[1]!.toLowerCase() === 'dpop' };
  const key = ctx.get('X-API-Key');
  return key ? { value: key, dpop: false } : undefined;
}

/** 401 with an RFC 9449 §7.1 challenge, for a DPoP-bound token without a good proof. */
function dpopRefused(ctx: Context, error: 'invalid_token' | 'invalid_dpop_proof', description: string): GatehouseError {
  ctx.set('WWW-Authenticate', `DPoP realm="${REALM}", error="${error}", error_description="${description}", algs="${DPOP_ALGORITHMS.join(' ')}"`);
  return new GatehouseError(401, error, description);
}

/**
 * Who is calling: an API key, or a Gatehouse access token for the admin API resource
 * (RFC 8707 audience) — from client credentials (a service account) or from a person's
 * sign-in. A person's token holds only the admin scopes their role allowed at consent
 * (src/interactions/grant-consent.ts), and is narrowed again here to what the role allows
 * now, so demoting or removing a member takes effect on tokens already issued.
 */
export function authenticate(options: {
  apiKeys: Pick<ApiKeyService, 'verify'>; provider: Provider; adminResource: string; tenancy?: TenancyResolver;
  /** Where `ip.refused` events go. */
  audit?: AuditSink;
  /** Tokens revoked with their client, account or grant (security/revocation.ts). */
  revocation?: Pick<Revocation, 'isRevoked'>;
}) {
  const invalidToken = (ctx: Context) => unauthorized(ctx, 'the access token is not valid for this API', true);
  const allowList = createAllowListCache();
  /** 403 for a valid credential used from an address its allow-list does not hold. */
  const refuseAddress = (ctx: Context, what: 'API key' | 'client', event: { actor: string; clientId?: string | undefined; orgId?: string | undefined }) => {
    options.audit?.record({
      type: 'ip.refused', ...event, ip: ctx.ip, reason: 'ip_not_allowed', target: event.actor, details: { endpoint: 'admin_api' },
    });
    return new GatehouseError(403, 'access_denied', `requests from this address are not allowed for this ${what}`);
  };

  const verifyDpopProof = createDpopProofVerifier({
    unique: (clientId, jti, exp) => options.provider.ReplayDetection.unique(clientId, jti, exp),
  });
  /**
   * RFC 9449 §7.1: a DPoP-bound access token counts only under the DPoP scheme with a proof
   * of its key, so a stolen token alone opens nothing; the DPoP scheme with an unbound
   * token is refused too, as the provider's userinfo does.
   */
  async function checkSenderConstraint(ctx: Context, token: { jkt?: string | undefined; clientId?: string | undefined }, presented: { value: string; dpop: boolean }) {
    if (!token.jkt) throw unauthorized(ctx, 'this access token is not DPoP-bound: send it as a Bearer token', true);
    if (!presented.dpop) throw dpopRefused(ctx, 'invalid_token', 'this access token is DPoP-bound: send it as "Authorization: DPoP" with a DPoP proof');
    const result = await verifyDpopProof({
      proof: ctx.get('DPoP') || undefined, method: ctx.method, url: new URL(ctx.path, ctx.href).href,
      accessToken: presented.value, jkt: token.jkt, clientId: token.clientId!,
    });
    if (!result.ok) throw dpopRefused(ctx, 'invalid_dpop_proof', result.reason);
  }

  return async function authenticateCaller(ctx: Context, next: Next) {
    const presented = credentialOf(ctx);
    if (!presented) throw unauthorized(ctx, 'an API key or access token is required', false);
    const credential = presented.value;

    if (!presented.dpop && API_KEY_PATTERN.test(credential)) {
      const result = await options.apiKeys.verify(credential, { ip: ctx.ip });
      // ip_not_allowed comes only after the secret matched (security/api-keys.ts): the
      // caller holds the key, and is told plainly that the address is what is wrong.
      if (!result.ok && result.reason === 'ip_not_allowed') {
        const parsed = checkApiKey(credential);
        throw refuseAddress(ctx, 'API key', { actor: parsed.ok ? `api_key:${parsed.parts.id}` : 'api_key' });
      }
      if (!result.ok) throw unauthorized(ctx, 'the API key is not valid', true);
      const { record } = result;
      ctx.state.principal = {
        subject: record.owner, orgId: record.orgId, scopes: new Set(record.scopes),
        expiresAt: record.expiresAt, via: 'api_key', keyId: record.id,
      };
      return next();
    }

    const token = await options.provider.ClientCredentials.find(credential)
      ?? await options.provider.AccessToken.find(credential);
    // A deleted client's tokens die with it.
    const client = token?.isValid ? await options.provider.Client.find(token.clientId!) : undefined;
    if (!token?.isValid || !client || ![token.aud].flat().includes(options.adminResource)) throw invalidToken(ctx);
    if (token.jkt || presented.dpop) await checkSenderConstraint(ctx, token, presented);
    // RFC 8705 §3: a certificate-bound token needs its certificate, which this API does not
    // check; refusing it keeps a stolen bound token from opening the admin API (docs/mtls.md).
    if (token['x5t#S256']) throw unauthorized(ctx, 'certificate-bound access tokens are not accepted by the admin API', true);
    const expiresAt = token.exp ? new Date(token.exp * 1000) : undefined;

    const accountId = 'accountId' in token ? token.accountId : undefined;
    const orgOfClient = typeof client['org_id'] === 'string' ? client['org_id'] : undefined;
    if (await isRevoked(options.revocation, { clientId: token.clientId, sub: accountId, iat: token.iat })) throw invalidToken(ctx);
    if (typeof accountId !== 'string') {
      // A service account's token is its own credential: it is used from where the
      // service account may authenticate, as at the token endpoint (oidc/client-auth-ip.ts).
      const list = client['ip_allow_list'];
      if (Array.isArray(list) && list.length > 0 && !allowList(list as string[]).allows(ctx.ip)) {
        throw refuseAddress(ctx, 'client', { actor: `client:${client.clientId}`, clientId: client.clientId, orgId: orgOfClient });
      }
      // A service account of an organization acts within it, whatever its scopes say.
      ctx.state.principal = {
        subject: { type: 'service_account', id: token.clientId! }, orgId: orgOfClient, scopes: token.scopes,
        expiresAt, via: 'access_token', keyId: undefined,
      };
      return next();
    }

    if (!options.tenancy) throw invalidToken(ctx);
    const tenant = await options.tenancy.resolve(accountId, orgOfClient);
    // Outside every organization and not a platform admin: nothing here is this account's to manage.
    if (tenant.orgId === undefined && !tenant.platformAdmin) {
      throw new GatehouseError(403, 'forbidden', 'this account administers no organization');
    }
    ctx.state.principal = {
      subject: { type: 'account', id: accountId }, orgId: tenant.orgId,
      scopes: new Set([...token.scopes].filter((s) => tenant.adminScopes.has(s))),
      expiresAt, via: 'access_token', keyId: undefined,
    };
    return next();
  };
}

/** Fail closed: when the revocation list cannot be read, the caller is told to retry (503). */
async function isRevoked(revocation: Pick<Revocation, 'isRevoked'> | undefined, token: TokenFacts): Promise<boolean> {
  try {
    return (await revocation?.isRevoked(token)) === true;
  } catch (err) {
    if (!(err instanceof RevocationListUnavailableError)) throw err;
    throw new GatehouseError(503, 'temporarily_unavailable', 'the credential cannot be checked right now; try again shortly');
  }
}

/** 403 insufficient_scope naming the scope the route needs (RFC 6750 §3.1). */
export function requireScope(scope: string | undefined, options: { platformOnly?: boolean } = {}) {
  return function checkScope(ctx: Context, next: Next) {
    const principal = ctx.state.principal!;
    if (scope !== undefined && !principal.scopes.has(scope)) {
      ctx.set('WWW-Authenticate', `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`);
      throw new GatehouseError(403, 'insufficient_scope', `this operation needs the scope ${scope}`, { scope });
    }
    if (options.platformOnly && principal.orgId !== undefined) {
      throw new GatehouseError(403, 'forbidden', 'only a platform administrator may do this');
    }
    return next();
  };
}
