import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';

import { GatehouseError } from '../errors.ts';
import { API_KEY_PATTERN } from '../security/api-key-format.ts';
import type { ApiKeyService } from '../security/api-keys.ts';
import type { Principal } from './principal.ts';

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

/** `Authorization: Bearer <credential>` or `X-API-Key: <key>`. */
function credentialOf(ctx: Context): string | undefined {
  const header = ctx.get('Authorization');
  const match = /^Bearer +([\x21-\x7E]+) *$/i.exec(header);
  if (match) return match[1];
  return ctx.get('X-API-Key') || undefined;
}

/**
 * Who is calling: an API key, or a Gatehouse access token issued by client credentials
 * for the admin API resource (RFC 8707 audience). Access tokens from a person's sign-in
 * are not accepted yet: nothing limits what an account may consent to until roles
 * decide it, so accepting them would let any account that can use such a client act as
 * an admin.
 */
export function authenticate(options: { apiKeys: Pick<ApiKeyService, 'verify'>; provider: Provider; adminResource: string }) {
  return async function authenticateCaller(ctx: Context, next: Next) {
    const credential = credentialOf(ctx);
    if (!credential) throw unauthorized(ctx, 'an API key or access token is required', false);

    if (API_KEY_PATTERN.test(credential)) {
      const result = await options.apiKeys.verify(credential, { ip: ctx.ip });
      if (!result.ok) throw unauthorized(ctx, 'the API key is not valid', true);
      const { record } = result;
      ctx.state.principal = {
        subject: record.owner, orgId: record.orgId, scopes: new Set(record.scopes),
        expiresAt: record.expiresAt, via: 'api_key', keyId: record.id,
      };
      return next();
    }

    const token = await options.provider.ClientCredentials.find(credential);
    // A deleted service account's tokens die with it.
    const client = token?.isValid ? await options.provider.Client.find(token.clientId!) : undefined;
    if (!token?.isValid || !client || ![token.aud].flat().includes(options.adminResource)) {
      throw unauthorized(ctx, 'the access token is not valid for this API', true);
    }
    ctx.state.principal = {
      subject: { type: 'service_account', id: token.clientId! }, orgId: undefined, scopes: token.scopes,
      expiresAt: token.exp ? new Date(token.exp * 1000) : undefined, via: 'access_token', keyId: undefined,
    };
    return next();
  };
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
