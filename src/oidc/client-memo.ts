import type Provider from 'oidc-provider';

import type { ClientChanges } from '../stores/invalidation-bus.ts';

export interface ClientMemoOptions {
  /** Safety net should a change notice ever be lost (default 60 s). */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

type Find = Provider['Client']['find'];

/**
 * Remembers the clients node-oidc-provider has loaded, by id, until they change. Every
 * token, introspection and revocation request loads its client (introspection often two),
 * and for each load the provider parses the stored metadata, serialises it again and hashes
 * it to find its cached Client: a tenth of a client-credentials request's instructions.
 *
 * Only given `changes` that hear every change (stores/index.ts): a load that began before
 * a change is not kept. Clients named by an https URL (client ID metadata documents) are
 * never remembered: the provider fetches and checks those itself. Unknown ids are not
 * remembered either.
 */
export function rememberClients(provider: Provider, changes: ClientChanges, options: ClientMemoOptions = {}): void {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const memo = new Map<string, { client: Awaited<ReturnType<Find>>; until: number }>();
  const versions = new Map<string, number>();
  changes.subscribe((id) => {
    memo.delete(id);
    versions.set(id, (versions.get(id) ?? 0) + 1);
  });

  const find: Find = provider.Client.find.bind(provider.Client);
  const findRemembered: Find = async (id) => {
    if (typeof id !== 'string' || id.startsWith('https://')) return find(id);
    const hit = memo.get(id);
    if (hit && hit.until > now()) return hit.client;
    const version = versions.get(id) ?? 0;
    const client = await find(id);
    if (client && (versions.get(id) ?? 0) === version) {
      if (memo.size >= maxEntries) {
        memo.clear();
        versions.clear();
      }
      memo.set(id, { client, until: now() + ttlMs });
    }
    return client;
  };
  (provider.Client as { find: Find }).find = findRemembered;
}
