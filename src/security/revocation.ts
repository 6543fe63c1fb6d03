import { createHash } from 'node:crypto';

import type { AuditSink } from '../audit/events.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { RevocationList, TokenFacts } from '../stores/revocation-list.ts';

export interface RevocationOptions {
  list: RevocationList;
  /**
   * The longest life any access token can have (s): how long a "revoked before T" entry
   * is kept, so that it outlives every token it covers.
   */
  maxTokenTtlSeconds: number;
  metrics?: Pick<Metrics, 'revocations'>;
  audit?: AuditSink;
  now?: () => number;
}

/**
 * What a JWT access token carries to name its grant (`gid`): RFC 9068 tokens have no
 * grant claim, and revoking a grant must reach them. A digest, not the grant id itself:
 * the id is an internal handle (the admin API's /grants/{id}, store keys) that resource
 * servers have no use for; they, and the revocation list, only need to match it.
 */
export function grantReference(grantId: string): string {
  return createHash('sha256').update(grantId).digest('base64url').slice(0, 22);
}

/**
 * The revocation list's jti for an opaque token's reference. Token ids never hold a ':',
 * so no JWT's jti can be mistaken for one.
 */
export const opaqueListKey = (reference: string) => `opaque:${reference}`;

/** A verified JWT access token's claims (RFC 9068 §2.2). */
export interface JwtClaims {
  jti?: unknown;
  exp?: unknown;
  client_id?: unknown;
  sub?: unknown;
}

export interface Revocation {
  /** RFC 7009 for a JWT access token: its jti is refused until it expires. */
  revokeJwt(claims: JwtClaims, by: { clientId: string; ip: string }): Promise<void>;
  /**
   * A destroyed opaque access token, by its reference (oidc/opaque-token-references.ts):
   * what was exchanged from it is refused until it would have expired.
   */
  revokeOpaque(reference: string, expiresAt: number): Promise<void>;
  /** A deleted client or service account: every token issued to it, opaque or JWT. */
  revokeClient(clientId: string): Promise<void>;
  /** A disabled or deleted account: every token issued for it, to any client. */
  revokeAccount(accountId: string): Promise<void>;
  /** A revoked grant: the JWTs issued under it (its opaque tokens are deleted with it). */
  revokeGrant(grantId: string): Promise<void>;
  /** Throws RevocationListUnavailableError when it cannot tell (fail closed). */
  isRevoked(token: TokenFacts): Promise<boolean>;
}

/**
 * Revocation that every node honours at once: entries go to the shared revocation list
 * (Redis), which introspection consults on every call (stores/revocation-list.ts explains
 * the design). A write that fails throws, so nothing is reported revoked that is not.
 */
export function createRevocation(options: RevocationOptions): Revocation {
  const { list, maxTokenTtlSeconds, metrics, audit, now = Date.now } = options;
  const seconds = () => Math.floor(now() / 1000);
  const count = (source: string) => metrics?.revocations.inc({ source });

  return {
    async revokeJwt(claims, by) {
      if (typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return;
      await list.denyToken(claims.jti, claims.exp);
      // A JWT's jti is not the token (unlike an opaque token's): safe to keep in the log.
      audit?.record({
        type: 'token.revoked', actor: by.clientId, clientId: by.clientId, ip: by.ip,
        subject: typeof claims.sub === 'string' && claims.sub !== claims.client_id ? claims.sub : undefined,
        target: `jwt:${claims.jti}`, details: { token_type: 'access_token', format: 'jwt' },
      });
    },
    async revokeOpaque(reference, expiresAt) {
      await list.denyToken(opaqueListKey(reference), expiresAt);
    },
    async revokeClient(clientId) {
      await list.revokeIssuedBefore({ kind: 'client', clientId }, seconds(), maxTokenTtlSeconds);
      count('client');
    },
    async revokeAccount(accountId) {
      await list.revokeIssuedBefore({ kind: 'account', accountId }, seconds(), maxTokenTtlSeconds);
      count('account');
    },
    async revokeGrant(grantId) {
      await list.denyGrant(grantReference(grantId), seconds() + maxTokenTtlSeconds);
    },
    isRevoked: (token) => list.isRevoked(token),
  };
}

/**
 * Deleting a client (or service account) kills its tokens: the entry is written first,
 * so a failure leaves the client in place rather than gone with live tokens behind it.
 */
export function revokeTokensOnRemove<D extends { remove(clientId: string): Promise<boolean> }>(directory: D, revocation: Pick<Revocation, 'revokeClient'>): D {
  return {
    ...directory,
    async remove(clientId: string) {
      await revocation.revokeClient(clientId);
      return directory.remove(clientId);
    },
  };
}

/** A resource server's own access-token lifetime is at most a day (seed and admin API schemas). */
const MAX_RESOURCE_SERVER_TTL_SECONDS = 86_400;

/** How long a "revoked before T" entry must be kept: the longest access-token life there can be. */
export function longestAccessTokenTtl(config: { ttl: { accessToken: number; clientCredentials: number } }): number {
  return Math.max(config.ttl.accessToken, config.ttl.clientCredentials, MAX_RESOURCE_SERVER_TTL_SECONDS);
}
