import * as z from 'zod';

import { ADMIN_SCOPES } from '../admin/scopes.ts';
import { MAX_IP_ALLOW_LIST_ENTRIES } from '../security/api-key-input.ts';
import { IpAllowListError, parseIpAllowList } from '../security/ip-allow-list.ts';
import { SLUG } from '../stores/organizations.ts';
import { checkClient, clientFields, withDerivedFields } from './schema-client.ts';

export const slug = z.string().regex(SLUG, 'must be 2–63 lower-case letters, digits and inner hyphens');

/** CIDR ranges as ip-allow-list.ts parses them; each bad entry is reported at its index. */
export const ipAllowList = z.array(z.string()).max(MAX_IP_ALLOW_LIST_ENTRIES).superRefine((list, ctx) => {
  try {
    parseIpAllowList(list);
  } catch (err) {
    if (!(err instanceof IpAllowListError)) throw err;
    ctx.addIssue({ code: 'custom', path: [err.index], message: err.message });
  }
});

const SECRET_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post'];

/**
 * A client in a seed: the RFC 7591 fields plus where it belongs. `org` names an
 * organization by slug (stored as its `org_id`); `service_account: true` makes it a
 * service account exactly as the admin API makes one (admin/routes/service-accounts.ts):
 * client credentials only (RFC 6749 §4.4), a secret, a name, scopes, an IP allow-list.
 */
export const seedClientSchema = z.strictObject({
  ...clientFields,
  org: slug.optional(),
  service_account: z.boolean().optional(),
  ip_allow_list: ipAllowList.optional(),
}).superRefine((c, ctx) => {
  checkClient(c, ctx);
  const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (c.service_account === true) {
    if (c.grant_types.length !== 1 || c.grant_types[0] !== 'client_credentials') {
      problem('grant_types', 'must be ["client_credentials"] for a service account');
    }
    if (!SECRET_METHODS.includes(c.token_endpoint_auth_method)) {
      problem('token_endpoint_auth_method', 'must be "client_secret_basic" or "client_secret_post" for a service account');
    }
    if (c.client_name === undefined) problem('client_name', 'is required for a service account (it is its name)');
    if (c.scope === undefined) problem('scope', 'is required for a service account');
  } else if (c.ip_allow_list !== undefined) {
    problem('ip_allow_list', 'is only for service accounts ("service_account": true)');
  }
  // As the admin API rules (admin/clients/checks.ts checkPlatformOwned): a client with
  // admin scopes or first-party status is the platform's, never an organization's.
  if (c.org !== undefined) {
    const admin = c.scope?.split(' ').find((s) => ADMIN_SCOPES.includes(s));
    if (admin !== undefined) problem('scope', `"${admin}": admin scopes are only for clients outside any organization`);
    if (c.first_party === true) problem('first_party', 'only a client outside any organization can be first-party');
  }
}).transform((c) => {
  const derived = withDerivedFields(c);
  if (c.service_account !== true) return derived;
  // Stored in canonical form, as the admin API stores it; [] = any address.
  return { ...derived, ip_allow_list: [...parseIpAllowList(c.ip_allow_list ?? []).entries] };
});

export type SeedClient = z.output<typeof seedClientSchema>;
