import * as z from 'zod';
import { validatePasswordPolicy } from '../security/passwords.ts';
import { Redacted } from './redacted.ts';
import { apiKeySchema, keyId } from './schema-api-key.ts';
import { email, organizationSchema } from './schema-org.ts';
import { resourceServerSchema } from './schema-resource-server.ts';
import { seedClientSchema } from './schema-seed-client.ts';

export { apiKeySchema, type SeedApiKey } from './schema-api-key.ts';
export { organizationSchema, type SeedOrganization } from './schema-org.ts';
export { resourceServerSchema, type SeedResourceServer } from './schema-resource-server.ts';
export { seedClientSchema, type SeedClient } from './schema-seed-client.ts';

/** `$comment` keys document a seed file (JSON has no comments) and are ignored. */
const comment = z.unknown().optional();

/**
 * An account: `password` (plain, hashed with argon2id on import) or `password_hash`
 * (an existing argon2id PHC string, so production seeds need hold no plain text).
 * `platform_admin` true/false sets or clears platform administration; absent leaves it.
 */
export const accountSchema = z.strictObject({
  $comment: comment,
  email,
  name: z.string().trim().min(1).max(200),
  password: z.string()
    .superRefine((p, ctx) => {
      const problem = validatePasswordPolicy(p);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((p) => new Redacted(p))
    .optional(),
  password_hash: z.string().regex(/^\$argon2id\$/, 'must be an argon2id hash ("$argon2id$…")').optional(),
  platform_admin: z.boolean().optional(),
}).superRefine((a, ctx) => {
  if ((a.password === undefined) === (a.password_hash === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['password'], message: 'give exactly one of password or password_hash' });
  }
});

export const seedSchema = z.strictObject({
  $comment: comment,
  accounts: z.array(accountSchema).default([]),
  organizations: z.array(organizationSchema).default([]),
  clients: z.array(seedClientSchema).default([]),
  resource_servers: z.array(resourceServerSchema).default([]),
  api_keys: z.array(apiKeySchema).default([]),
}).superRefine((seed, ctx) => {
  // Two entries for one key would make the import order-dependent: refuse instead.
  const firstIndex = new Map<string, number>();
  const unique = (list: 'accounts' | 'organizations' | 'clients' | 'resource_servers' | 'api_keys', field: string, key: string, i: number) => {
    const seen = firstIndex.get(`${list}\0${key}`);
    if (seen === undefined) firstIndex.set(`${list}\0${key}`, i);
    else ctx.addIssue({ code: 'custom', path: [list, i, field], message: `duplicates ${list}[${seen}]` });
  };
  seed.accounts.forEach((a, i) => unique('accounts', 'email', a.email, i));
  seed.clients.forEach((c, i) => unique('clients', 'client_id', c.client_id, i));
  seed.resource_servers.forEach((r, i) => unique('resource_servers', 'identifier', r.identifier, i));
  seed.organizations.forEach((o, i) => unique('organizations', 'slug', o.slug, i));
  // By the key's public id: the store's key, so two entries would fight over one record.
  seed.api_keys.forEach((k, i) => {
    const id = keyId(k);
    if (id !== undefined) unique('api_keys', 'key', id, i);
  });
});

export type Seed = z.output<typeof seedSchema>;
export type SeedAccount = z.output<typeof accountSchema>;

/**
 * Readable messages for zod's built-in checks. They describe what was expected and never
 * echo the input: the input may be a password or a client secret.
 */
export const seedErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'is required' : `must be ${TYPE_NAMES[iss.expected] ?? `of type ${iss.expected}`}`;
    case 'invalid_value':
      return iss.values.length === 1
        ? `must be ${JSON.stringify(iss.values[0])}`
        : `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'too_small':
      if (iss.origin === 'string') return Number(iss.minimum) === 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
      if (iss.origin === 'array') return `must have at least ${iss.minimum} entr${Number(iss.minimum) === 1 ? 'y' : 'ies'}`;
      return `must be at least ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'string') return `must be at most ${iss.maximum} characters`;
      return `must be at most ${iss.maximum}`;
    case 'invalid_format':
      return iss.format === 'email' ? 'must be an email address' : 'has an invalid format';
    default:
      return 'is invalid';
  }
};

const TYPE_NAMES: Partial<Record<string, string>> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', array: 'an array', object: 'an object',
};
