/**
 * The revocation list: what introspection must treat as revoked although the token itself
 * cannot be recalled. A JWT access token (RFC 9068) lives in the resource server's hands,
 * not in our store, so revoking it means remembering its `jti` until it expires; revoking
 * a grant means remembering the grant (JWTs carry a reference to it, `gid`). Revoking a
 * client or an account must also kill every token issued for it, JWTs included; rather
 * than finding each such token, one entry says "everything issued for me at or before
 * time T is revoked", and introspection compares T with the token's `iat`. A check is a
 * fixed handful of key look-ups (in the process's copy, or one Redis MGET), whatever was
 * revoked, and the list holds one entry per revocation, never one per token.
 *
 * Times are epoch seconds, as in JWT claims (RFC 7519 §2 NumericDate). A token issued in
 * the same second as a client's or account's revocation counts as issued before it: `iat`
 * has whole-second precision, and the safe reading of "the same second" is "revoked"
 * (so a client deleted and re-created under the same id within one second loses the new
 * tokens of that second too). Nodes' clocks are expected to agree (NTP), since `iat`
 * comes from the issuing node and T from the revoking one.
 */

/** What a token says about itself (claims, or what introspection reports for an opaque one). */
export interface TokenFacts {
  jti?: string | undefined;
  /** The reference to the grant a JWT was issued under (`gid`, security/revocation.ts). */
  grant?: string | undefined;
  clientId?: string | undefined;
  /** The account, for a person's token (for client credentials, `sub` is the client id). */
  sub?: string | undefined;
  iat?: number | undefined;
}

/** Something whose tokens, issued up to some time, were all revoked at once. */
export type RevokedScope =
  | { kind: 'client'; clientId: string }
  | { kind: 'account'; accountId: string };

export interface RevocationList {
  /** Revokes one token by `jti`, remembered until `expiresAt` (epoch s), when it dies anyway. */
  denyToken(jti: string, expiresAt: number): Promise<void>;
  /** Revokes every token issued under a grant (its `gid`), remembered until `expiresAt` (epoch s). */
  denyGrant(ref: string, expiresAt: number): Promise<void>;
  /**
   * Every token of `scope` issued at or before `at` (epoch s) is revoked; remembered for
   * `ttlSeconds`, which must outlast every such token. A later `at` wins over an earlier one.
   */
  revokeIssuedBefore(scope: RevokedScope, at: number, ttlSeconds: number): Promise<void>;
  /** Throws RevocationListUnavailableError when it cannot tell: never a guess. */
  isRevoked(token: TokenFacts): Promise<boolean>;
}

/** The list could not be read: introspection must fail closed (503), not answer from nothing. */
export class RevocationListUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('the revocation list is unavailable', { cause });
    this.name = 'RevocationListUnavailableError';
  }
}

const enc = encodeURIComponent; // ids may hold ':'; encoded, no two different ids share a key

/** The key of a revoked scope (without the store's prefix). */
export function scopeKey(scope: RevokedScope): string {
  switch (scope.kind) {
    case 'client': return `client:${enc(scope.clientId)}`;
    case 'account': return `account:${enc(scope.accountId)}`;
  }
}

export const tokenKey = (jti: string) => `jti:${enc(jti)}`;
export const grantKey = (ref: string) => `grant:${enc(ref)}`;

/** The keys to read for a token: denied outright (its jti, its grant), and revoked up to a time. */
export function keysOf(token: TokenFacts): { denied: string[]; scopes: string[] } {
  const denied: string[] = [];
  if (token.jti) denied.push(tokenKey(token.jti));
  if (token.grant) denied.push(grantKey(token.grant));
  const scopes: string[] = [];
  if (token.clientId) scopes.push(scopeKey({ kind: 'client', clientId: token.clientId }));
  if (token.sub) scopes.push(scopeKey({ kind: 'account', accountId: token.sub }));
  return { denied, scopes };
}

/**
 * The decision, given what the store holds: revoked if its jti or grant is listed, or a
 * scope it belongs to was revoked at or after its issue time. No `iat` (never the case
 * for tokens Gatehouse issues) cannot be placed before or after T: revoked, failing closed.
 */
export function decide(denied: boolean, revokedAt: ReadonlyArray<number | undefined>, iat: number | undefined): boolean {
  if (denied) return true;
  return revokedAt.some((t) => t !== undefined && (iat === undefined || !Number.isFinite(iat) || iat <= t));
}

/**
 * Revocation entries held in process memory, each with the time it ends (epoch ms).
 * Merging keeps the later "revoked before T" and the longer life, as the Redis list does,
 * so entries may arrive in any order. Expired entries are swept when the map grows.
 */
export class RevocationTable {
  private readonly entries = new Map<string, { value: number; untilMs: number }>();
  private sweepAt = 1024;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  merge(key: string, value: number, untilMs: number): void {
    const at = this.now();
    if (untilMs <= at) return;
    const held = this.entries.get(key);
    if (held && held.untilMs > at) {
      held.value = Math.max(held.value, value);
      held.untilMs = Math.max(held.untilMs, untilMs);
      return;
    }
    if (this.entries.size >= this.sweepAt) {
      for (const [k, e] of this.entries) if (e.untilMs <= at) this.entries.delete(k);
      this.sweepAt = Math.max(1024, this.entries.size * 2);
    }
    this.entries.set(key, { value, untilMs });
  }

  get(key: string): number | undefined {
    const entry = this.entries.get(key);
    return entry && entry.untilMs > this.now() ? entry.value : undefined;
  }

  isRevoked(token: TokenFacts): boolean {
    const { denied, scopes } = keysOf(token);
    return decide(denied.some((k) => this.get(k) !== undefined), scopes.map((k) => this.get(k)), token.iat);
  }
}

/** In process memory: the embedded default (no Redis) is a single node, so nothing needs to reach another one. */
export function createMemoryRevocationList(now: () => number = Date.now): RevocationList {
  const table = new RevocationTable(now);
  return {
    async denyToken(jti, expiresAt) {
      table.merge(tokenKey(jti), 1, expiresAt * 1000);
    },
    async denyGrant(ref, expiresAt) {
      table.merge(grantKey(ref), 1, expiresAt * 1000);
    },
    async revokeIssuedBefore(scope, at, ttlSeconds) {
      table.merge(scopeKey(scope), at, now() + ttlSeconds * 1000);
    },
    async isRevoked(token) {
      return table.isRevoked(token);
    },
  };
}
