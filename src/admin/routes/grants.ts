import * as z from 'zod';
import type Provider from 'oidc-provider';

import { notFound } from '../../errors.ts';
import type { AccountAccessStore } from '../../stores/account-access.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import { visibleAccount, type TenancyDeps } from './tenancy.ts';

const grant = z.object({
  id: z.string(), account_id: z.string(), client_id: z.string(), client_name: z.string().optional(),
  scopes: z.array(z.string()), resources: z.record(z.string(), z.array(z.string())),
  created_at: z.string().optional(), expires_at: z.string().optional(),
});

export interface GrantRouteDeps {
  tenancy: TenancyDeps;
  provider: Provider;
  access: Pick<AccountAccessStore, 'list'>;
  /** Revokes the grant and every token issued under it (oidc/revoke-grants.ts). */
  revokeGrant(grantId: string): Promise<void>;
}

const iso = (epoch: number | undefined) => (epoch ? new Date(epoch * 1000).toISOString() : undefined);

/**
 * Grants: what an account consented to, per client. Revoking one ends every token issued
 * under it (its refresh tokens included) and the client must ask for consent again. The
 * account must be visible to the caller (a member of its organization, or any for the
 * platform); another tenant's grant is a 404.
 */
export function grantRoutes(deps: GrantRouteDeps) {
  const { provider } = deps;

  async function describe(id: string) {
    const found = await provider.Grant.find(id);
    if (!found?.accountId || !found.clientId) return undefined;
    const client = await provider.Client.find(found.clientId);
    return {
      id, account_id: found.accountId, client_id: found.clientId, client_name: client?.clientName,
      scopes: found.openid?.scope?.split(' ') ?? [],
      resources: Object.fromEntries(Object.entries(found.resources ?? {}).map(([r, s]) => [r, String(s).split(' ')])),
      created_at: iso(found.iat), expires_at: iso(found.exp),
    };
  }

  return [
    route({
      method: 'get', path: '/accounts/{id}/grants', operationId: 'listGrants', tag: 'grants', scope: adminScope('grants', 'read'),
      summary: "An account's grants: which client, which scopes, since when",
      responses: { 200: { description: 'the grants', schema: z.object({ items: z.array(grant) }) }, 404: { description: 'no such account' } },
      async handle({ params, principal }) {
        const account = await visibleAccount(deps.tenancy, principal, params.id!);
        const entries = (await deps.access.list(account.id, new Date())).filter((e) => e.kind === 'grant');
        const grants = (await Promise.all(entries.map((e) => describe(e.id)))).filter((g) => g?.account_id === account.id);
        return { body: { items: grants } };
      },
    }),
    route({
      method: 'delete', path: '/grants/{id}', operationId: 'revokeGrant', tag: 'grants', scope: adminScope('grants', 'write'),
      summary: 'Revoke a grant: its access and refresh tokens stop working at once',
      responses: { 204: { description: 'revoked' }, 404: { description: 'no such grant' } },
      async handle({ params, principal }) {
        const found = await describe(params.id!);
        if (!found) throw notFound('no grant with this id');
        await visibleAccount(deps.tenancy, principal, found.account_id).catch(() => { throw notFound('no grant with this id'); });
        await deps.revokeGrant(found.id);
        return { status: 204 };
      },
    }),
  ];
}
