import type Provider from 'oidc-provider';
import { errors, type Configuration, type TokenEndpointGrantContext } from 'oidc-provider';

import type { ResourceServerStore } from '../stores/resource-servers.ts';
import { thenClaims } from './claims.ts';
import { createResourceServerLookup } from './resource-servers.ts';
import { dpopThumbprint } from './token-exchange-dpop.ts';
import { chain, SOURCES_CLAIM } from './token-exchange-sources.ts';
import {
  ACCESS_TOKEN_TYPE, checkCredential, invalidGrant, type CredentialDeps, type PresentedCredential,
} from './token-exchange-subjects.ts';

/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/**
 * In a client's registered `scope`, an administrator's permission to exchange tokens that
 * are not the client's own (another client's, a person's, another service's API key):
 * the result speaks for that subject, with `act` naming the caller when it sends an
 * actor_token (delegation, RFC 8693 §1.1). Never issued in a token: no resource server takes it.
 */
export const IMPERSONATE_SCOPE = 'token-exchange:impersonate';

const PARAMETERS = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'resource', 'audience', 'scope'];
/** RFC 8693 §2.1 allows several; they are accepted here only to be refused with invalid_target, not invalid_request. */
const REPEATABLE = ['resource', 'audience'];

export interface TokenExchangeDeps extends CredentialDeps {
  ttlSeconds: number;
  resourceServers: Pick<ResourceServerStore, 'find'>;
  /** The admin API's resource indicator: never a target of an exchange. */
  adminResource: string;
}

type ExtraTokenClaims = NonNullable<Configuration['extraTokenClaims']>;
const exchangeClaims = new WeakMap<object, Record<string, unknown>>();

/**
 * The claims an exchanged token carries about its subject rather than about the caller
 * (wraps the provider's `extraTokenClaims`): the subject's organization and roles, the
 * grant it came from (`gid`: revoking that grant reaches this token too) and `act`.
 */
export function withExchangeClaims(inner: ExtraTokenClaims): ExtraTokenClaims {
  return function extraTokenClaimsWithExchange(ctx, token) {
    const exchanged = exchangeClaims.get(token);
    return exchanged ? thenClaims(inner(ctx, token), (claims) => ({ ...claims, ...exchanged })) : inner(ctx, token);
  };
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((e): e is string => typeof e === 'string' && e !== '');

/**
 * RFC 8693 §4.1: `act` names the current actor, with earlier actors nested inside it. A
 * token exchanged again without an actor keeps the chain it had.
 */
function actClaim(subject: PresentedCredential, actor: PresentedCredential | undefined): Record<string, unknown> | undefined {
  if (!actor) return subject.act;
  return { sub: actor.sub, ...(actor.clientId !== undefined && actor.clientId !== actor.sub && { client_id: actor.clientId }), ...(subject.act && { act: subject.act }) };
}

/**
 * OAuth 2.0 Token Exchange (RFC 8693) at the token endpoint, for confidential clients.
 * A caller trades a token it holds — an access token from this server or a Gatehouse API
 * key — for a short-lived access token bound to one registered resource server, with at
 * most the scopes the presented token had. Off unless TOKEN_EXCHANGE=on.
 */
export function registerTokenExchange(provider: Provider, deps: TokenExchangeDeps): void {
  const lookup = createResourceServerLookup(deps.resourceServers);

  async function exchangeToken(ctx: TokenEndpointGrantContext) {
    const { client, params } = ctx.oidc;
    if (client.clientAuthMethod === 'none') throw new errors.UnauthorizedClient('token exchange is only for confidential clients');
    if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`requested_token_type: only access tokens (${ACCESS_TOKEN_TYPE}) are issued`);
    }
    if (params.actor_token === undefined && params.actor_token_type !== undefined) {
      throw new errors.InvalidRequest('actor_token_type must not be sent without actor_token (RFC 8693 §2.1)');
    }
    const subject = await checkCredential(deps, ctx, params.subject_token, params.subject_token_type, 'subject');
    const actor = params.actor_token === undefined ? undefined : await checkCredential(deps, ctx, params.actor_token, params.actor_token_type, 'actor');

    // Whose token it is. The caller's own (issued to it, or an API key of its service
    // account) it may always narrow; anyone else's only with the administrator's consent.
    const registered = new Set(client.scope?.split(' ') ?? []);
    if (actor && actor.clientId !== client.clientId) throw invalidGrant('actor_token must be a token of the calling client: it names who acts (RFC 8693 §2.1)');
    const impersonation = subject.clientId !== client.clientId;
    if (impersonation && !registered.has(IMPERSONATE_SCOPE)) {
      throw invalidGrant(`subject_token belongs to another party: exchanging it needs the ${IMPERSONATE_SCOPE} scope, which an administrator gives a client`);
    }

    // A sender-constrained token must not come out as a bearer token: the caller proves
    // the key (RFC 9449 §4), and the new token is bound to the same one.
    const jkt = await dpopThumbprint(provider, ctx, client.clientId);
    for (const [role, credential] of [['subject', subject], ['actor', actor]] as const) {
      if (credential?.x5t !== undefined) throw invalidGrant(`${role}_token is bound to a client certificate (RFC 8705), which this exchange cannot prove`);
      if (credential?.jkt !== undefined && credential.jkt !== jkt) throw invalidGrant(`${role}_token is DPoP-bound: send a DPoP proof made with its key`);
    }
    if (jkt === undefined && client.dpopBoundAccessTokens) throw invalidGrant('DPoP proof JWT not provided');

    // RFC 8693 §2.1 / RFC 8707: exactly one audience, a registered resource server.
    const targets = [...new Set([...list(params.resource), ...list(params.audience)])];
    if (targets.length === 0) throw new errors.InvalidTarget('name the resource server the token is for with resource or audience');
    if (targets.length > 1) throw new errors.InvalidTarget('only one resource or audience per exchange');
    const target = targets[0]!;
    if (target === deps.adminResource) throw new errors.InvalidTarget('token exchange issues no tokens for the admin API');
    const info = await lookup(ctx, target);

    const offered = new Set(info.scope.split(' '));
    const held = new Set(subject.scopes);
    const allowedToCaller = (s: string) => client.scope === undefined || registered.has(s);
    const requested = typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : undefined;
    for (const scope of requested ?? []) {
      // RFC 8693 §5: the new token must not do more than the one it replaces.
      if (!held.has(scope)) throw new errors.InvalidScope('the requested scope exceeds what subject_token holds', scope);
      if (!offered.has(scope)) throw new errors.InvalidScope('the resource server does not take this scope', scope);
      if (!allowedToCaller(scope)) throw new errors.InvalidScope('the client is not registered for this scope', scope);
    }
    const granted = requested ?? subject.scopes.filter((s) => offered.has(s) && allowedToCaller(s));
    if (granted.length === 0) throw new errors.InvalidScope('subject_token holds no scope this resource server takes', subject.scopes.join(' '));

    const expiresIn = Math.min(deps.ttlSeconds, info.accessTokenTTL ?? deps.ttlSeconds);
    const token = new provider.AccessToken({
      accountId: subject.sub, client, gty: 'token_exchange', scope: [...new Set(granted)].join(' '), expiresIn,
    } as unknown as ConstructorParameters<typeof provider.AccessToken>[0]);
    token.resourceServer = new provider.ResourceServer(target, info);
    if (jkt !== undefined) token.setThumbprint('jkt', jkt);
    const act = actClaim(subject, actor);
    exchangeClaims.set(token, {
      org_id: subject.orgId, roles: subject.roles, ...(subject.grantRef !== undefined && { gid: subject.grantRef }), ...(act && { act }),
      // Revoking any of these makes this token inactive too (token-exchange-sources.ts).
      [SOURCES_CLAIM]: chain(subject.sources, actor?.sources ?? []),
    });
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();

    // Recorded with the token.issued event (oidc/events.ts).
    ctx.state.auditDetails = {
      subject_token_type: subject.type, impersonation, ...(actor && { actor: actor.sub }), sender_constrained: jkt !== undefined,
    };
    // RFC 8693 §2.2.1; no refresh token: the caller exchanges again.
    ctx.body = {
      access_token: value, issued_token_type: ACCESS_TOKEN_TYPE, token_type: token.tokenType, expires_in: token.expiration, scope: token.scope,
    };
  }

  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, exchangeToken, PARAMETERS, REPEATABLE);
}
