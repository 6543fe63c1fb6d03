import { opaqueListKey, type Revocation } from '../security/revocation.ts';
import type { ApiKeyStore } from '../stores/api-keys.ts';

/**
 * What an exchanged token was made from: the API key, or the access token (its `jti` when it
 * is a JWT, its client and issue time) presented as subject or actor token, and what that
 * one was made from in turn. Carried in the token as `gh_sources`, and checked again every
 * time the token is introspected or exchanged once more: revoking the API key, the subject
 * token (RFC 7009) or its client makes every token exchanged from it inactive at once.
 * Never a bearer secret: an opaque token is named by a digest, its client and issue time.
 */
export interface ExchangeSource {
  api_key?: string;
  jti?: string;
  /** An opaque access token, by its digest (oidc/opaque-token-references.ts). */
  ref?: string;
  client_id?: string;
  iat?: number;
}

export const SOURCES_CLAIM = 'gh_sources';

/** A chain of exchanges longer than this keeps its latest sources. */
const MAX_SOURCES = 8;

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The sources a token's claims name (malformed entries are dropped). */
export function sourcesOf(value: unknown): ExchangeSource[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const e = entry as Record<string, unknown>;
    const source: ExchangeSource = {};
    if (str(e.api_key)) source.api_key = str(e.api_key);
    if (str(e.jti)) source.jti = str(e.jti);
    if (str(e.ref)) source.ref = str(e.ref);
    if (str(e.client_id)) source.client_id = str(e.client_id);
    if (typeof e.iat === 'number') source.iat = e.iat;
    return Object.keys(source).length ? [source] : [];
  });
}

/** The sources of a new token: those of what it is made from, then that credential itself. */
export function chain(...parts: ExchangeSource[][]): ExchangeSource[] {
  return parts.flat().slice(-MAX_SOURCES);
}

export interface SourceCheckDeps {
  revocation: Pick<Revocation, 'isRevoked'>;
  apiKeys: Pick<ApiKeyStore, 'findById'>;
  now?: () => number;
}

/**
 * Whether anything a token was exchanged from is gone: an API key revoked, expired or
 * deleted; an access token's jti or client on the revocation list (security/revocation.ts).
 * Throws RevocationListUnavailableError when the list cannot be read (callers answer 503).
 */
export async function anySourceRevoked(sources: readonly ExchangeSource[], deps: SourceCheckDeps): Promise<boolean> {
  const now = deps.now?.() ?? Date.now();
  for (const source of sources) {
    if (source.api_key !== undefined) {
      const key = await deps.apiKeys.findById(source.api_key);
      if (!key || key.revokedAt || key.expiresAt.getTime() <= now) return true;
      continue;
    }
    const jti = source.jti ?? (source.ref !== undefined ? opaqueListKey(source.ref) : undefined);
    if (await deps.revocation.isRevoked({ jti, clientId: source.client_id, iat: source.iat })) return true;
  }
  return false;
}
