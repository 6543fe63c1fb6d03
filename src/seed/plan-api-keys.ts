import { ADMIN_SCOPES } from '../admin/scopes.ts';
import { ApiKeyInputError, type ApiKeyImport, type ApiKeyRequest } from '../security/api-keys.ts';
import type { PlanContext } from './plan.ts';
import type { SeedApiKey } from './schema.ts';

/** One key, resolved: who owns it, where it belongs, what it may carry. */
export interface PlannedKey {
  index: number;
  owner: { account: string } | { service_account: string };
  /** By slug (in the file or stored), or the id a stored service account names. */
  org: { slug: string } | { id: string } | undefined;
  /** Undefined when a dry run without stores could not tell. */
  allowedScopes: readonly string[] | undefined;
  /** What importing it does, as the dry run found it (ids of new entries are placeholders). */
  preview: ApiKeyImport | undefined;
}

export const keyRequest = (k: SeedApiKey): ApiKeyRequest => ({
  name: k.name, scopes: k.scopes,
  ...(k.expires_at !== undefined && { expires_at: k.expires_at }),
  ...(k.expires_in_days !== undefined && { expires_in_days: k.expires_in_days }),
  ...(k.ip_allow_list !== undefined && { ip_allow_list: k.ip_allow_list }),
  ...(k.rate_limit_tier !== undefined && { rate_limit_tier: k.rate_limit_tier }),
});

/** `scopes[2]` → ['scopes', 2]; the field names an ApiKeyInputError carries. */
const fieldPath = (field: string): (string | number)[] => {
  const m = /^([a-z_]+)\[(\d+)\]$/.exec(field);
  return m ? [m[1]!, Number(m[2])] : [field];
};

interface Owner { ownerId: string; orgId: string | undefined; org: PlannedKey['org']; allowed: readonly string[] | undefined; who: string }

/**
 * An account's key carries at most what the account may hold, as the admin API rules:
 * in an organization, its role's scopes there; outside every organization, the admin
 * scopes of a platform admin (as `gatehouse bootstrap` issues).
 */
async function accountOwner(ctx: PlanContext, k: SeedApiKey, at: (...p: (string | number)[]) => (string | number)[]): Promise<Owner> {
  const email = k.owner.account!;
  const entry = ctx.seed.accounts.find((a) => a.email === email);
  const stored = await ctx.account(email);
  if (!entry && !stored) ctx.missing(at('owner', 'account'), `the account "${email}"`);
  const known = entry !== undefined || stored !== undefined;
  const owner = { ownerId: stored?.id ?? `new:${email}`, orgId: undefined, org: undefined, allowed: undefined, who: '' };
  if (k.org === undefined) {
    if (entry?.platform_admin ?? stored?.platformAdmin === true) return { ...owner, allowed: ADMIN_SCOPES, who: 'a platform admin' };
    if (known) ctx.problem(at('owner', 'account'), `"${email}" is not a platform admin: a key outside any organization needs "platform_admin": true on its account (or give "org")`);
    return owner;
  }
  const orgEntry = ctx.seed.organizations.find((o) => o.slug === k.org);
  const orgStored = await ctx.organization(k.org);
  if (!orgEntry && !orgStored) ctx.missing(at('org'), `the organization "${k.org}"`);
  const placed = { ...owner, org: { slug: k.org }, orgId: orgStored?.id ?? `new:${k.org}` };
  const role = orgEntry?.members.find((m) => m.email === email)?.role
    ?? (orgStored && stored ? (await ctx.deps.memberships.find(orgStored.id, stored.id))?.role : undefined);
  // An unknown role is reported where the membership is; its scopes cannot be judged.
  if (role !== undefined) return ctx.deps.roles.has(role) ? { ...placed, allowed: ctx.deps.roles.scopesOf(role), who: `the "${role}" role in "${k.org}"` } : placed;
  if (ctx.options.offline) ctx.missing(at('owner', 'account'), `the membership of "${email}" in "${k.org}"`);
  else if (known && (orgEntry || orgStored)) ctx.problem(at('owner', 'account'), `"${email}" is not a member of "${k.org}" (list it in that organization's members)`);
  return placed;
}

/** A service account's key carries at most the client's scopes, in the client's organization. */
async function serviceAccountOwner(ctx: PlanContext, k: SeedApiKey, at: (...p: (string | number)[]) => (string | number)[]): Promise<Owner> {
  const id = k.owner.service_account!;
  const entry = ctx.seed.clients.find((c) => c.client_id === id);
  const stored = entry ? undefined : await ctx.client(id);
  const scope = entry ? entry.scope : stored?.scope;
  let allowed: readonly string[] | undefined;
  if (!entry && !stored) ctx.missing(at('owner', 'service_account'), `the service account "${id}"`);
  else if ((entry ?? stored)!.service_account !== true) ctx.problem(at('owner', 'service_account'), `"${id}" is not a service account ("service_account": true)`);
  else allowed = typeof scope === 'string' ? scope.split(' ') : [];

  const own: PlannedKey['org'] = entry?.org !== undefined ? { slug: entry.org } : typeof stored?.org_id === 'string' ? { id: stored.org_id } : undefined;
  let org = own;
  if (k.org !== undefined) {
    const orgStored = await ctx.organization(k.org);
    if (!ctx.seed.organizations.some((o) => o.slug === k.org) && !orgStored) ctx.missing(at('org'), `the organization "${k.org}"`);
    const same = own !== undefined && ('slug' in own ? own.slug === k.org : own.id === orgStored?.id);
    if (allowed && !same) {
      ctx.problem(at('org'), own ? "must be the service account's organization, or be left out" : 'the service account belongs to no organization: leave "org" out');
    }
    org = { slug: k.org };
  }
  const orgId = org === undefined ? undefined : 'id' in org ? org.id : (await ctx.organization(org.slug))?.id ?? `new:${org.slug}`;
  return { ownerId: id, orgId, org, allowed, who: `the service account "${id}"` };
}

/** Resolves and checks every key (owner, organization, scopes, then the service's own checks). */
export async function planApiKeys(ctx: PlanContext): Promise<PlannedKey[]> {
  const planned: PlannedKey[] = [];
  for (const [i, k] of ctx.seed.api_keys.entries()) {
    const at = (...path: (string | number)[]) => ['api_keys', i, ...path];
    const isAccount = k.owner.account !== undefined;
    const o = isAccount ? await accountOwner(ctx, k, at) : await serviceAccountOwner(ctx, k, at);
    k.scopes.forEach((s, j) => {
      if (o.allowed && !o.allowed.includes(s)) ctx.problem(at('scopes', j), `"${s}" is not a scope ${o.who} may have`);
    });
    let preview: ApiKeyImport | undefined;
    try {
      // Scopes were checked above, with a better message; the service checks the rest.
      preview = await ctx.deps.apiKeys.importKey(k.key.reveal(), keyRequest(k), {
        owner: { type: isAccount ? 'account' : 'service_account', id: o.ownerId }, allowedScopes: k.scopes,
        ...(o.orgId !== undefined && { orgId: o.orgId }),
      }, { dryRun: true });
    } catch (err) {
      if (!(err instanceof ApiKeyInputError)) throw err;
      const message = err.message.startsWith(`${err.field} `) ? err.message.slice(err.field.length + 1) : err.message;
      ctx.problem(at(...fieldPath(err.field)), message);
    }
    planned.push({
      index: i, owner: isAccount ? { account: k.owner.account! } : { service_account: k.owner.service_account! },
      org: o.org, allowedScopes: o.allowed, preview,
    });
  }
  return planned;
}
