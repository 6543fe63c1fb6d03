import * as z from 'zod';

import { checkApiKey } from '../security/api-key-format.ts';
import { Redacted } from './redacted.ts';
import { email } from './schema-org.ts';
import { ipAllowList, slug } from './schema-seed-client.ts';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3

/**
 * An API key given in full (made with `gatehouse api-keys generate`), for an account or
 * a service account. Its shape and checksum are checked here, without ever echoing it;
 * the environment tag, the owner's scopes and the expiry policy are checked on import,
 * where the server's configuration is known.
 */
export const apiKeySchema = z.strictObject({
  $comment: z.unknown().optional(),
  key: z.string().superRefine((key, ctx) => {
    const parsed = checkApiKey(key);
    if (parsed.ok) return;
    ctx.addIssue({
      code: 'custom',
      message: parsed.reason === 'checksum'
        ? 'the checksum does not match: the key is mistyped or truncated'
        : 'is not a Gatehouse API key (gh_<env>_<id>_<secret>_<checksum>; make one with `gatehouse api-keys generate`)',
    });
  }).transform((key) => new Redacted(key)),
  name: z.string().trim().min(1).max(100),
  owner: z.strictObject({ account: email.optional(), service_account: z.string().min(1).optional() })
    .refine((o) => (o.account === undefined) !== (o.service_account === undefined), 'give exactly one of account (an email) or service_account (a client_id)'),
  org: slug.optional(),
  scopes: z.array(z.string().regex(SCOPE_TOKEN, 'must be a scope token (RFC 6749 §3.3)')).min(1),
  expires_at: z.string().optional(),
  expires_in_days: z.int().min(1).optional(),
  ip_allow_list: ipAllowList.optional(),
  rate_limit_tier: z.string().optional(),
}).superRefine((k, ctx) => {
  if (k.expires_at !== undefined && k.expires_in_days !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['expires_in_days'], message: 'give either expires_at or expires_in_days, not both' });
  }
});

export type SeedApiKey = z.output<typeof apiKeySchema>;

/** The public id of a seed key; undefined when the key itself is invalid (already reported). */
export const keyId = (k: SeedApiKey): string | undefined => {
  // Refinements of the whole file run even when this entry failed, before its transform.
  const key: unknown = k.key;
  const parsed = key instanceof Redacted ? checkApiKey(key.reveal()) : undefined;
  return parsed?.ok ? parsed.parts.id : undefined;
};
