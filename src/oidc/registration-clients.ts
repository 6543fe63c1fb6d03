import type Provider from 'oidc-provider';
import type { Adapter } from 'oidc-provider';

import type { AuditSink } from '../audit/events.ts';
import type { ClientDirectory, StoredClient } from '../stores/client-directory.ts';
import type { AdapterFactory } from './adapter-guard.ts';

/**
 * The bookkeeping Gatehouse keeps on a self-registered client, beside its RFC 7591
 * metadata in the same record (so the admin API lists it with the others). The provider
 * ignores these fields (it keeps only metadata it knows); the directory keeps them.
 * - `registered_dynamically: true`, `registered_at` (epoch s), `registration_via`
 *   (`initial_access_token` | `open`), `registration_iat` (the token's id);
 * - `registration_status`: `pending` until an administrator approves it (REGISTRATION_APPROVAL=required), else `active`;
 * - `registration_used_at` (epoch s): when it first got a token; unused clients expire.
 * (`client_id_issued_at`, RFC 7591 §3.2.1, is carried over with them.)
 */
export const REGISTRATION_FIELDS = [
  'client_id_issued_at', 'registered_dynamically', 'registered_at', 'registration_via', 'registration_iat', 'registration_status', 'registration_used_at',
] as const;

export const isSelfRegistered = (client: StoredClient | undefined): client is StoredClient => client?.registered_dynamically === true;
export const isPending = (client: unknown) => (client as { registration_status?: unknown } | undefined)?.registration_status === 'pending';

/** The registration bookkeeping of a stored client, to carry over into a new version of it. */
export function registrationFieldsOf(client: StoredClient): Record<string, unknown> {
  return Object.fromEntries(REGISTRATION_FIELDS.filter((name) => client[name] !== undefined).map((name) => [name, client[name]]));
}

/**
 * The provider's view of clients: one waiting for approval does not exist for it, so it
 * gets `invalid_client` everywhere (token, authorization, introspection, device, PAR) at
 * no cost per request. The directory, the admin API and RFC 7592 still see it.
 */
export function hidePendingClients(factory: AdapterFactory): AdapterFactory {
  let clients: Adapter | undefined;
  return function pendingClientsHidden(model: string): Adapter {
    if (model !== 'Client') return factory(model);
    if (clients) return clients;
    const inner = factory(model);
    clients = Object.assign(Object.create(inner) as Adapter, {
      async find(id: string) {
        const found = await inner.find(id);
        return isPending(found) ? undefined : found;
      },
    });
    return clients;
  };
}

/**
 * Records when a self-registered client first gets a token (`grant.success`, every grant
 * type), so the sweep keeps it. Each process looks a client up once: after that it is
 * remembered as settled (not self-registered, or already marked), in a bounded set.
 */
export function trackFirstUse(provider: Provider, directory: Pick<ClientDirectory, 'find' | 'save'>, options: {
  now?: () => number; onError?: (err: unknown) => void; maxRemembered?: number;
} = {}): void {
  const settled = new Set<string>();
  const max = options.maxRemembered ?? 10_000;
  const now = options.now ?? Date.now;
  async function mark(clientId: string) {
    const client = await directory.find(clientId);
    if (isSelfRegistered(client) && client.registration_used_at === undefined) {
      await directory.save({ ...client, registration_used_at: Math.floor(now() / 1000) });
    }
    if (settled.size >= max) settled.delete(settled.values().next().value!);
    settled.add(clientId);
  }
  provider.on('grant.success', (ctx) => {
    const clientId = ctx.oidc.client?.clientId;
    if (clientId === undefined || settled.has(clientId)) return;
    mark(clientId).catch((err: unknown) => options.onError?.(err));
  });
}

export interface SweepOptions {
  directory: Pick<ClientDirectory, 'list' | 'remove'>;
  unusedTtlDays: number;
  audit?: AuditSink;
  now?: () => number;
}

/**
 * Deletes self-registered clients that got no token within `unusedTtlDays` of registering
 * (pending ones included: a registration nobody approved expires the same way). Walks the
 * directory a page at a time; returns the ids removed. Deleting through the directory
 * also revokes anything issued to them (security/revocation.ts).
 */
export async function sweepUnusedClients(options: SweepOptions): Promise<string[]> {
  const cutoff = Math.floor((options.now ?? Date.now)() / 1000) - options.unusedTtlDays * 86_400;
  const removed: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await options.directory.list({ serviceAccounts: false, limit: 200, ...(cursor !== undefined && { cursor }) });
    for (const client of page.items) {
      if (!isSelfRegistered(client) || client.registration_used_at !== undefined) continue;
      if (typeof client.registered_at !== 'number' || client.registered_at > cutoff) continue;
      if (await options.directory.remove(client.client_id)) {
        removed.push(client.client_id);
        options.audit?.record({
          type: 'client.registration_deleted', actor: 'system', clientId: client.client_id, target: `client:${client.client_id}`,
          orgId: typeof client.org_id === 'string' ? client.org_id : undefined, reason: 'unused',
          details: { registered_at: client.registered_at, unused_ttl_days: options.unusedTtlDays },
        });
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return removed;
}
