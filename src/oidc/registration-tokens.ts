import { randomBytes, randomUUID } from 'node:crypto';

import type { Adapter, AdapterPayload } from 'oidc-provider';

import type { SecretHasher } from '../security/client-secrets.ts';

/**
 * The bearer tokens of dynamic registration, kept like client secrets: generated here with
 * 256 bits of entropy, stored only under their keyed hash (security/client-secrets.ts), so
 * a copy of the store holds nothing a caller could present.
 *
 * - Initial access tokens (RFC 7591 §3): issued by an administrator, expiring, good for
 *   `max_uses` registrations, optionally binding the clients to an organization. Each use
 *   is one entry ("slot") consumed with the adapter's atomic consume, so of any number of
 *   parallel registrations exactly `max_uses` get through, on every backend.
 * - Registration access tokens (RFC 7592 §1.1): one per self-registered client, for
 *   reading, updating and deleting its registration; replaced on every update.
 *
 * Not node-oidc-provider's InitialAccessToken / RegistrationAccessToken models: those are
 * stored under the token value itself and cannot count uses or carry an organization.
 */
export interface InitialAccessToken {
  id: string;
  orgId: string | undefined;
  maxUses: number;
  /** Epoch seconds. */
  expiresAt: number;
  createdAt: number;
  createdBy: string;
}

export interface RegistrationTokens {
  issueInitialAccessToken(input: { orgId: string | undefined; maxUses: number; expiresIn: number; createdBy: string }): Promise<{ token: string; record: InitialAccessToken }>;
  findInitialAccessToken(id: string): Promise<InitialAccessToken | undefined>;
  revokeInitialAccessToken(id: string): Promise<void>;
  /** Takes one use; undefined when the token is unknown, expired or used up. */
  useInitialAccessToken(token: string): Promise<{ record: InitialAccessToken; refund(): Promise<void> } | undefined>;
  issueRegistrationAccessToken(clientId: string): Promise<string>;
  /** The client the token manages, if it is a live registration access token. */
  findRegistrationAccessToken(token: string): Promise<string | undefined>;
  revokeRegistrationAccessToken(token: string): Promise<void>;
}

export interface RegistrationTokenDeps {
  initialAccessTokens: Adapter;
  registrationAccessTokens: Adapter;
  hasher: Pick<SecretHasher, 'hash'>;
  now?: () => number;
}

/** A fixed prefix lets secret scanners find leaked tokens (as for API keys). */
const IAT_PREFIX = 'gh_iat_';
const RAT_PREFIX = 'gh_rat_';
const generate = (prefix: string) => prefix + randomBytes(32).toString('base64url');
const slot = (key: string, n: number) => `${key}#${n}`;

export function createRegistrationTokens(deps: RegistrationTokenDeps): RegistrationTokens {
  const { initialAccessTokens: iats, registrationAccessTokens: rats, hasher } = deps;
  const seconds = () => Math.floor((deps.now ?? Date.now)() / 1000);
  const keyOf = (token: string) => hasher.hash(token);

  const toRecord = (p: AdapterPayload): InitialAccessToken => ({
    id: p.uid as string, orgId: (p.org_id as string | undefined) ?? undefined, maxUses: p.max_uses as number,
    expiresAt: p.expires_at as number, createdAt: p.created_at as number, createdBy: p.created_by as string,
  });
  const live = (p: AdapterPayload | undefined | void) => (p && (p.expires_at as number) > seconds() ? p : undefined);

  const remaining = (payload: AdapterPayload) => (payload.expires_at as number) - seconds();

  return {
    async issueInitialAccessToken({ orgId, maxUses, expiresIn, createdBy }) {
      const token = generate(IAT_PREFIX);
      const createdAt = seconds();
      const payload: AdapterPayload = {
        uid: randomUUID(), key: keyOf(token), max_uses: maxUses, expires_at: createdAt + expiresIn, created_at: createdAt,
        created_by: createdBy, ...(orgId !== undefined && { org_id: orgId }),
      };
      for (let n = 1; n <= maxUses; n++) await iats.upsert(slot(payload.key as string, n), {}, expiresIn);
      await iats.upsert(payload.key as string, payload, expiresIn);
      return { token, record: toRecord(payload) };
    },

    async findInitialAccessToken(id) {
      const payload = live(await iats.findByUid(id));
      return payload ? toRecord(payload) : undefined;
    },

    async revokeInitialAccessToken(id) {
      const payload = await iats.findByUid(id);
      if (!payload) return;
      const key = payload.key as string;
      await iats.destroy(key);
      for (let n = 1; n <= (payload.max_uses as number); n++) await iats.destroy(slot(key, n));
    },

    async useInitialAccessToken(token) {
      if (!token.startsWith(IAT_PREFIX)) return undefined;
      const key = keyOf(token);
      const payload = live(await iats.find(key));
      if (!payload) return undefined;
      const maxUses = payload.max_uses as number;
      for (let n = 1; n <= maxUses; n++) {
        try {
          await iats.consume(slot(key, n));
        } catch {
          continue; // used (or revoked) already: try the next slot
        }
        // The last use retires the token, so a used-up token costs one look-up.
        if (n === maxUses) await iats.destroy(key);
        return {
          record: toRecord(payload),
          // The registration failed after taking the use: give back that one slot (and
          // the token, if this was its last use). Other slots stay as they are.
          async refund() {
            const ttl = remaining(payload);
            if (ttl <= 0) return;
            await iats.upsert(slot(key, n), {}, ttl);
            if (n === maxUses) await iats.upsert(key, payload, ttl);
          },
        };
      }
      return undefined;
    },

    async issueRegistrationAccessToken(clientId) {
      const token = generate(RAT_PREFIX);
      await rats.upsert(keyOf(token), { clientId });
      return token;
    },

    async findRegistrationAccessToken(token) {
      if (!token.startsWith(RAT_PREFIX)) return undefined;
      const payload = await rats.find(keyOf(token));
      return typeof payload?.clientId === 'string' ? payload.clientId : undefined;
    },

    async revokeRegistrationAccessToken(token) {
      await rats.destroy(keyOf(token));
    },
  };
}
