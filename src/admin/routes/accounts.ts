import * as z from 'zod';

import { notFound } from '../../errors.ts';
import { DuplicateEmailError, NO_PASSWORD, type Account } from '../../stores/accounts.ts';
import { isPlatform, type Principal } from '../principal.ts';
import { route } from '../route.ts';
import { adminScope } from '../scopes.ts';
import {
  accountJson, conflict, email, invitationJson, pageQuery, personName, revokeKeys, toAccountJson,
  visibleAccount, visibleOrganization, type TenancyRouteDeps,
} from './tenancy.ts';

const listQuery = z.strictObject({ ...pageQuery, email: z.string().optional() });
const patchBody = z.strictObject({ name: personName.optional(), disabled: z.boolean().optional() })
  .refine((b) => b.name !== undefined || b.disabled !== undefined, 'name or disabled is required');

/**
 * Accounts. An organization caller creates accounts in its organization and sees only its
 * members; another tenant's account is a 404. Disabling or deleting an account ends its
 * sessions, grants, tokens and API keys at once.
 */
export function accountRoutes(deps: TenancyRouteDeps) {
  const read = adminScope('accounts', 'read');
  const write = adminScope('accounts', 'write');
  const createBody = z.strictObject({
    email, name: personName,
    role: z.string().default('member').refine((r) => deps.roles.has(r), 'is not a known role'),
    organization_id: z.string().optional().describe('platform callers: the organization to join (organization callers: always their own)'),
  });

  /**
   * An organization caller changes an account only when nothing outside its organization
   * depends on it: no membership elsewhere and no API key of another organization (or of
   * the platform). Otherwise one tenant could lock out another tenant's people.
   */
  async function changeable(principal: Principal, id: string): Promise<Account> {
    const account = await visibleAccount(deps, principal, id);
    if (isPlatform(principal)) return account;
    const memberships = await deps.memberships.listByAccount(id);
    const keys = await deps.apiKeyStore.list({ ownerType: 'account', ownerId: id, limit: 1000 });
    if (memberships.some((m) => m.orgId !== principal.orgId) || keys.items.some((k) => k.orgId !== principal.orgId)) {
      throw conflict('the account belongs to other organizations too; only a platform administrator can change it');
    }
    return account;
  }

  /** Its sessions, grants with their tokens, and its API keys. */
  async function endAccess(id: string) {
    await deps.endAccess(id);
    await revokeKeys(deps, { ownerType: 'account', ownerId: id });
  }

  return [
    route({
      method: 'post', path: '/accounts', operationId: 'createAccount', tag: 'accounts', scope: write, body: createBody,
      summary: 'Create an account (no password) in an organization; the invitation link to set one is in this response only',
      responses: { 201: { description: 'created', schema: z.object({ account: accountJson, invitation: invitationJson }) }, 409: { description: 'the email is taken' } },
      async handle({ body, principal }) {
        const orgId = isPlatform(principal) ? body.organization_id : principal.orgId;
        if (body.organization_id !== undefined && body.organization_id !== orgId) throw notFound('no organization with this id');
        if (orgId !== undefined) await visibleOrganization(deps, principal, orgId);
        const account = await deps.accounts.create({ email: body.email, name: body.name, passwordHash: NO_PASSWORD }).catch((err: unknown) => {
          throw err instanceof DuplicateEmailError ? conflict('an account with this email already exists') : err;
        });
        if (orgId !== undefined) await deps.memberships.put({ orgId, accountId: account.id, role: body.role });
        const invitation = await deps.invitations.issue({ accountId: account.id, ...(orgId !== undefined && { orgId, role: body.role }) });
        return { status: 201, body: { account: toAccountJson(account), invitation: { url: invitation.url, expires_at: invitation.expiresAt.toISOString() } } };
      },
    }),
    route({
      method: 'get', path: '/accounts', operationId: 'listAccounts', tag: 'accounts', scope: read, query: listQuery,
      summary: "List accounts (newest first, cursor-paged), filtered by email; an organization caller sees its members",
      responses: { 200: { description: 'a page', schema: z.object({ items: z.array(accountJson), next_cursor: z.string().optional() }) } },
      async handle({ query, principal }) {
        if (isPlatform(principal)) {
          const page = await deps.accounts.list({ limit: query.limit, cursor: query.cursor, email: query.email });
          return { body: { items: page.items.map(toAccountJson), ...(page.nextCursor && { next_cursor: page.nextCursor }) } };
        }
        const orgId = principal.orgId!;
        if (query.email !== undefined) {
          const found = await deps.accounts.findByEmail(query.email);
          const member = found && (await deps.memberships.find(orgId, found.id));
          return { body: { items: found && member ? [toAccountJson(found)] : [] } };
        }
        const page = await deps.memberships.listByOrg(orgId, { limit: query.limit, cursor: query.cursor });
        const byId = new Map((await deps.accounts.findMany(page.items.map((m) => m.accountId))).map((a) => [a.id, a]));
        const items = page.items.flatMap((m) => { const a = byId.get(m.accountId); return a ? [toAccountJson(a)] : []; });
        return { body: { items, ...(page.nextCursor && { next_cursor: page.nextCursor }) } };
      },
    }),
    route({
      method: 'get', path: '/accounts/{id}', operationId: 'getAccount', tag: 'accounts', scope: read,
      summary: 'One account (never its password hash)',
      responses: { 200: { description: 'the account', schema: accountJson }, 404: { description: 'no such account' } },
      async handle({ params, principal }) {
        return { body: toAccountJson(await visibleAccount(deps, principal, params.id!)) };
      },
    }),
    route({
      method: 'patch', path: '/accounts/{id}', operationId: 'updateAccount', tag: 'accounts', scope: write, body: patchBody,
      summary: 'Rename, disable or enable an account; disabling ends its sessions and revokes its grants, tokens and API keys',
      responses: { 200: { description: 'the account', schema: accountJson }, 404: { description: 'no such account' }, 409: { description: 'shared with another organization' } },
      async handle({ params, body, principal }) {
        const id = (await changeable(principal, params.id!)).id;
        if (body.name !== undefined) await deps.accounts.update(id, { name: body.name });
        if (body.disabled === true) {
          await deps.accounts.setDisabled(id, new Date());
          await endAccess(id);
        } else if (body.disabled === false) {
          await deps.accounts.setDisabled(id, undefined);
        }
        const account = await deps.accounts.findById(id);
        if (!account) throw notFound('no account with this id');
        return { body: toAccountJson(account) };
      },
    }),
    route({
      method: 'delete', path: '/accounts/{id}', operationId: 'deleteAccount', tag: 'accounts', scope: write,
      summary: 'Delete an account, its memberships and invitations; its sessions, grants, tokens and API keys end',
      responses: { 204: { description: 'deleted' }, 404: { description: 'no such account' }, 409: { description: 'shared with another organization' } },
      async handle({ params, principal }) {
        const { id } = await changeable(principal, params.id!);
        // Disabled first: a login racing the deletion cannot start new access meanwhile.
        await deps.accounts.setDisabled(id, new Date());
        await endAccess(id);
        await deps.memberships.removeByAccount(id);
        await deps.invitations.forget(id);
        await deps.accounts.delete(id);
        return { status: 204 };
      },
    }),
  ];
}
