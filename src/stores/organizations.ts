import { newAccountId } from './accounts.ts';
import { pageInMemory, type Page, type PageQuery } from './paging.ts';

/** A tenant. `slug` is its stable, human-readable handle (unique, lower-case). */
export interface Organization {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
}

export interface OrganizationStore {
  /** Throws `DuplicateSlugError` when the slug is taken. */
  create(input: { name: string; slug: string }): Promise<Organization>;
  findById(id: string): Promise<Organization | undefined>;
  /** By its slug (exact: slugs are stored lower-case); undefined when none has it. */
  findBySlug(slug: string): Promise<Organization | undefined>;
  /** Newest first, keyset-paged (paging.ts). */
  list(query: PageQuery): Promise<Page<Organization>>;
  /** Undefined for an unknown id. */
  rename(id: string, name: string): Promise<Organization | undefined>;
  /** True only if this call deleted it. */
  delete(id: string): Promise<boolean>;
  ping(): Promise<void>;
  /** One-time set-up (indexes); call at start-up or from a migration command. */
  prepare(): Promise<void>;
}

/** Lower-case letters, digits and inner hyphens, 2–63 characters (fits a DNS label). */
export const SLUG = /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/;

export class DuplicateSlugError extends Error {
  readonly slug: string;

  constructor(slug: string) {
    super(`an organization with slug "${slug}" already exists`);
    this.name = 'DuplicateSlugError';
    this.slug = slug;
  }
}

/** Same shape as account ids: 128 random bits, base64url. */
export const newOrganizationId = newAccountId;

const copy = (o: Organization): Organization => ({ ...o });

/** Per-process store for the embedded default: nothing survives a restart. */
export function createMemoryOrganizationStore(): OrganizationStore {
  const byId = new Map<string, Organization>();
  const slugs = new Set<string>();

  return {
    async create(input) {
      // Synchronous up to the write: check-then-insert is atomic within this process.
      if (slugs.has(input.slug)) throw new DuplicateSlugError(input.slug);
      const org: Organization = { id: newOrganizationId(), name: input.name, slug: input.slug, createdAt: new Date() };
      byId.set(org.id, org);
      slugs.add(org.slug);
      return copy(org);
    },
    async findById(id) {
      const o = byId.get(id);
      return o && copy(o);
    },
    async findBySlug(slug) {
      for (const o of byId.values()) if (o.slug === slug) return copy(o);
      return undefined;
    },
    async list(q) {
      return pageInMemory(byId.values(), (o) => o, q, copy);
    },
    async rename(id, name) {
      const o = byId.get(id);
      if (!o) return undefined;
      o.name = name;
      return copy(o);
    },
    async delete(id) {
      const o = byId.get(id);
      if (!o) return false;
      byId.delete(id);
      slugs.delete(o.slug);
      return true;
    },
    async ping() {},
    async prepare() {},
  };
}
