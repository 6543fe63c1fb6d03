import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWTPayload } from 'jose';

import type { ApiKeyService } from '../security/api-keys.ts';
import { grantReference, type Revocation } from '../security/revocation.ts';
import { RevocationListUnavailableError } from '../stores/revocation-list.ts';
import type { ApiKeyStore } from '../stores/api-keys.ts';
import type { JwtAccessTokenVerifier } from './jwt-access-tokens.ts';
import { opaqueTokenReference } from './opaque-token-references.ts';
import { anySourceRevoked, chain, sourcesOf, SOURCES_CLAIM, type ExchangeSource } from './token-exchange-sources.ts';

/** RFC 8693 §3: an access token issued by this server (opaque, or an RFC 9068 JWT). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/**
 * A Gatehouse API key. RFC 8693 §3 registers no URI for API keys, and a deployment may
 * define its own (§3: "other URIs MAY be used"); this one is in Gatehouse's namespace.
 */
export const API_KEY_TYPE = 'urn:gatehouse:params:oauth:token-type:api-key';
export const SUPPORTED_TOKEN_TYPES: readonly string[] = [ACCESS_TOKEN_TYPE, API_KEY_TYPE];

/** A credential presented as subject_token or actor_token, once checked. */
export interface PresentedCredential {
  type: typeof ACCESS_TOKEN_TYPE | typeof API_KEY_TYPE;
  /** Whom it speaks for: an account id, or a client id (a service account, a client credentials token). */
  sub: string;
  /** The client it was issued to; for an API key, the service account that owns it. */
  clientId: string | undefined;
  scopes: string[];
  orgId?: string | undefined;
  roles?: string[] | undefined;
  /** The grant it was issued under (`gid`, security/revocation.ts): revoking the grant reaches what is made from it. */
  grantRef?: string | undefined;
  /** RFC 8693 §4.1: who acted for `sub` when it was made (a token from an earlier exchange). */
  act?: Record<string, unknown> | undefined;
  /** Its sender constraint (RFC 9449 `cnf.jkt`, RFC 8705 `cnf.x5t#S256`), if any. */
  jkt?: string | undefined;
  x5t?: string | undefined;
  /** It and what it was exchanged from: checked again whenever a token made from it is used (token-exchange-sources.ts). */
  sources: ExchangeSource[];
}

export interface CredentialDeps {
  provider: Provider;
  jwt: JwtAccessTokenVerifier;
  apiKeys: Pick<ApiKeyService, 'verify'>;
  revocation: Pick<Revocation, 'isRevoked'>;
  /** For the sources of a token that was itself exchanged. */
  apiKeyStore: Pick<ApiKeyStore, 'findById'>;
}

/** invalid_grant with its reason: the provider's class has a fixed description. */
export const invalidGrant = (description: string) => Object.assign(new errors.InvalidGrant(), { error_description: description });

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) && v.every((e) => typeof e === 'string') ? v as string[] : undefined);
const record = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined);

/**
 * Checks a presented token: it must be one this server issued and that is still good —
 * unexpired, not revoked (RFC 7009, or with its client, account or grant: the revocation
 * list), for an API key also allowed from the caller's address. Anything else is
 * `invalid_grant` (RFC 8693 §2.2.2). When revocation cannot be checked the answer is 503,
 * never a guess.
 */
export async function checkCredential(
  deps: CredentialDeps, ctx: KoaContextWithOIDC, value: unknown, type: unknown, role: 'subject' | 'actor',
): Promise<PresentedCredential> {
  if (typeof value !== 'string' || value === '') throw new errors.InvalidRequest(`missing required parameter '${role}_token'`);
  if (typeof type !== 'string' || type === '') throw new errors.InvalidRequest(`missing required parameter '${role}_token_type'`);
  if (!SUPPORTED_TOKEN_TYPES.includes(type)) {
    throw new errors.InvalidRequest(`${role}_token_type must be ${SUPPORTED_TOKEN_TYPES.join(' or ')}`);
  }
  try {
    return type === API_KEY_TYPE ? await apiKey(deps, ctx, value, role) : await accessToken(deps, value, role);
  } catch (err) {
    if (!(err instanceof RevocationListUnavailableError)) throw err;
    throw Object.assign(new errors.TemporarilyUnavailable('the token status cannot be checked right now; try again shortly'), { status: 503, statusCode: 503 });
  }
}

async function apiKey(deps: CredentialDeps, ctx: KoaContextWithOIDC, value: string, role: string): Promise<PresentedCredential> {
  // Exchanging the key is a use of it from here: its IP allow-list applies to this caller.
  const result = await deps.apiKeys.verify(value, { ip: ctx.ip });
  if (!result.ok) {
    throw invalidGrant(result.reason === 'ip_not_allowed' ? `${role}_token may not be used from this address` : `${role}_token is not an active API key`);
  }
  const { id, owner, scopes, orgId } = result.record;
  return {
    type: API_KEY_TYPE, sub: owner.id, clientId: owner.type === 'service_account' ? owner.id : undefined, scopes: [...scopes], orgId,
    sources: [{ api_key: id }],
  };
}

async function accessToken(deps: CredentialDeps, value: string, role: string): Promise<PresentedCredential> {
  const inactive = () => invalidGrant(`${role}_token is not an active access token issued by this server`);
  let credential: PresentedCredential;
  let iat: number | undefined;
  let jti: string | undefined;
  let ref: string | undefined;
  if (deps.jwt.looksLike(value)) {
    const claims: JWTPayload | undefined = await deps.jwt.verify(value);
    const sub = str(claims?.sub);
    if (!claims || sub === undefined) throw inactive();
    const cnf = record(claims.cnf);
    credential = {
      type: ACCESS_TOKEN_TYPE, sub, clientId: str(claims.client_id), scopes: str(claims.scope)?.split(' ') ?? [],
      orgId: str(claims.org_id), roles: strings(claims.roles), grantRef: str(claims.gid), act: record(claims.act),
      jkt: str(cnf?.jkt), x5t: str(cnf?.['x5t#S256']), sources: sourcesOf(claims[SOURCES_CLAIM]),
    };
    ({ iat, jti } = claims);
    if (credential.clientId === undefined || !(await deps.provider.Client.find(credential.clientId))) throw inactive();
  } else {
    const token = (await deps.provider.AccessToken.find(value)) ?? (await deps.provider.ClientCredentials.find(value));
    if (!token?.isValid) throw inactive();
    const grantId = 'grantId' in token ? token.grantId : undefined;
    // As introspection does: a token whose grant is gone is gone too.
    if (grantId !== undefined) {
      const grant = await deps.provider.Grant.find(grantId);
      if (!grant || grant.clientId !== token.clientId) throw inactive();
    }
    const accountId = 'accountId' in token ? token.accountId : undefined;
    const extra = record(token.extra) ?? {};
    credential = {
      type: ACCESS_TOKEN_TYPE, sub: accountId ?? token.clientId!, clientId: token.clientId, scopes: token.scope?.split(' ') ?? [],
      orgId: str(extra.org_id), roles: strings(extra.roles), grantRef: grantId !== undefined ? grantReference(grantId) : str(extra.gid),
      act: record(extra.act), jkt: token.jkt, x5t: token['x5t#S256'], sources: sourcesOf(extra[SOURCES_CLAIM]),
    };
    iat = token.iat;
    ref = opaqueTokenReference(value);
  }
  const revoked = await deps.revocation.isRevoked({ jti, grant: credential.grantRef, clientId: credential.clientId, sub: credential.sub, iat })
    || await anySourceRevoked(credential.sources, { revocation: deps.revocation, apiKeys: deps.apiKeyStore });
  if (revoked) throw inactive();
  // A JWT is named by its jti; an opaque token by a digest of it (its value is the bearer secret).
  const source: ExchangeSource = { ...(jti !== undefined && { jti }), ...(ref !== undefined && { ref }), client_id: credential.clientId, ...(iat !== undefined && { iat }) };
  return { ...credential, sources: chain(credential.sources, [source]) };
}
