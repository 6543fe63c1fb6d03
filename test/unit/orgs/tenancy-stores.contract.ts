import { InvalidCursorError } from '../../../src/stores/paging.ts';
import { DuplicateSlugError, type OrganizationStore } from '../../../src/stores/organizations.ts';
import type { MembershipStore } from '../../../src/stores/memberships.ts';
import type { Invitation, InvitationStore } from '../../../src/stores/invitations.ts';
import type { AccountAccessStore } from '../../../src/stores/account-access.ts';

/** Walks every page of a keyset-paged list. */
async function allPages<T>(list: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}
const tick = () => new Promise((r) => setTimeout(r, 2));

export function describeOrganizationStoreContract(name: string, make: () => Promise<OrganizationStore>): void {
  describe(name, () => {
    let store: OrganizationStore;
    beforeEach(async () => { store = await make(); });

    test('create, find, rename, delete', async () => {
      const org = await store.create({ name: 'Acme', slug: 'acme' });
      expect(org).toMatchObject({ name: 'Acme', slug: 'acme', id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
      expect(await store.findById(org.id)).toEqual(org);
      expect(await store.rename(org.id, 'Acme Inc')).toMatchObject({ id: org.id, name: 'Acme Inc', slug: 'acme' });
      await expect(store.rename('nope', 'x')).resolves.toBeUndefined();
      await expect(store.delete(org.id)).resolves.toBe(true);
      await expect(store.delete(org.id)).resolves.toBe(false);
      await expect(store.findById(org.id)).resolves.toBeUndefined();
    });

    test('findBySlug finds by the exact slug, and nothing once deleted', async () => {
      const org = await store.create({ name: 'Acme', slug: 'acme' });
      await store.create({ name: 'Globex', slug: 'globex' });
      expect(await store.findBySlug('acme')).toEqual(org);
      await expect(store.findBySlug('acm')).resolves.toBeUndefined();
      await store.delete(org.id);
      await expect(store.findBySlug('acme')).resolves.toBeUndefined();
    });

    test('a taken slug is DuplicateSlugError; a deleted one is free again', async () => {
      const org = await store.create({ name: 'A', slug: 'taken' });
      await expect(store.create({ name: 'B', slug: 'taken' })).rejects.toBeInstanceOf(DuplicateSlugError);
      await store.delete(org.id);
      await expect(store.create({ name: 'C', slug: 'taken' })).resolves.toMatchObject({ slug: 'taken' });
    });

    test('lists newest first in stable pages; a foreign cursor is InvalidCursorError', async () => {
      const made = [];
      for (let i = 0; i < 5; i += 1) { made.push(await store.create({ name: `o${i}`, slug: `org-${i}` })); await tick(); }
      const listed = await allPages((cursor) => store.list({ limit: 2, cursor }));
      expect(listed.map((o) => o.slug)).toEqual(['org-4', 'org-3', 'org-2', 'org-1', 'org-0']);
      await expect(store.list({ limit: 2, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
    });
  });
}

export function describeMembershipStoreContract(name: string, make: () => Promise<MembershipStore>): void {
  describe(name, () => {
    let store: MembershipStore;
    beforeEach(async () => { store = await make(); });

    test('put adds once, then changes the role and keeps createdAt', async () => {
      const first = await store.put({ orgId: 'o1', accountId: 'a1', role: 'member' });
      const second = await store.put({ orgId: 'o1', accountId: 'a1', role: 'admin' });
      expect(first).toMatchObject({ created: true, membership: { orgId: 'o1', accountId: 'a1', role: 'member' } });
      expect(second).toMatchObject({ created: false, membership: { role: 'admin' } });
      expect(second.membership.createdAt).toEqual(first.membership.createdAt);
      expect(await store.find('o1', 'a1')).toMatchObject({ role: 'admin' });
      await expect(store.find('o2', 'a1')).resolves.toBeUndefined();
    });

    test('lists by organization (paged) and by account; removes one, by org, by account', async () => {
      for (const a of ['a1', 'a2', 'a3']) { await store.put({ orgId: 'o1', accountId: a, role: 'member' }); await tick(); }
      await store.put({ orgId: 'o2', accountId: 'a1', role: 'admin' });
      const members = await allPages((cursor) => store.listByOrg('o1', { limit: 2, cursor }));
      expect(members.map((m) => m.accountId)).toEqual(['a3', 'a2', 'a1']);
      expect((await store.listByAccount('a1')).map((m) => m.orgId).sort()).toEqual(['o1', 'o2']);
      await expect(store.remove('o1', 'a2')).resolves.toBe(true);
      await expect(store.remove('o1', 'a2')).resolves.toBe(false);
      await expect(store.removeByAccount('a1')).resolves.toBe(2);
      await expect(store.removeByOrg('o1')).resolves.toBe(1);
      expect((await store.listByOrg('o1', { limit: 10 })).items).toEqual([]);
    });
  });
}

export function describeInvitationStoreContract(name: string, make: () => Promise<InvitationStore>): void {
  describe(name, () => {
    let store: InvitationStore;
    beforeEach(async () => { store = await make(); });
    const invitation = (id: string, over: Partial<Invitation> = {}): Invitation => ({
      id, tokenHash: `hash-${id}`, accountId: 'a1', orgId: 'o1', role: 'member',
      createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000), ...over,
    });

    test('found by token hash; consumed exactly once, even by racing calls', async () => {
      await store.insert(invitation('i1'));
      expect(await store.findByTokenHash('hash-i1')).toMatchObject({ id: 'i1', accountId: 'a1', orgId: 'o1', role: 'member' });
      await expect(store.findByTokenHash('hash-none')).resolves.toBeUndefined();
      const results = await Promise.all([1, 2, 3].map(() => store.consume('i1', new Date())));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.findByTokenHash('hash-i1'))?.usedAt).toBeInstanceOf(Date);
    });

    test('an expired one cannot be consumed; optional fields stay absent', async () => {
      const { orgId: _o, role: _r, ...bare } = invitation('i2', { expiresAt: new Date(Date.now() - 1000) });
      await store.insert(bare);
      await expect(store.consume('i2', new Date())).resolves.toBe(false);
      await expect(store.consume('unknown', new Date())).resolves.toBe(false);
      const found = await store.findByTokenHash('hash-i2');
      if (found) expect(Object.keys(found)).not.toContain('orgId'); // MongoDB's TTL sweeper may have removed it already
    });

    test('deleted by account and by organization', async () => {
      await store.insert(invitation('i3'));
      await store.insert(invitation('i4', { accountId: 'a2', orgId: 'o2' }));
      await expect(store.deleteByAccount('a1')).resolves.toBe(1);
      await expect(store.deleteByOrg('o2')).resolves.toBe(1);
      await expect(store.findByTokenHash('hash-i3')).resolves.toBeUndefined();
      await expect(store.findByTokenHash('hash-i4')).resolves.toBeUndefined();
    });
  });
}

export function describeAccountAccessStoreContract(name: string, make: () => Promise<AccountAccessStore>): void {
  describe(name, () => {
    let store: AccountAccessStore;
    beforeEach(async () => { store = await make(); });
    const inMs = (ms: number) => new Date(Date.now() + ms);

    test('records grants and sessions per account, once each, keeping the later expiry', async () => {
      await store.record('a1', { kind: 'grant', id: 'g1', expiresAt: inMs(60_000) });
      await store.record('a1', { kind: 'grant', id: 'g1', expiresAt: inMs(120_000) });
      await store.record('a1', { kind: 'grant', id: 'g1', expiresAt: inMs(30_000) });
      await store.record('a1', { kind: 'session', id: 's1', expiresAt: inMs(60_000) });
      await store.record('a2', { kind: 'grant', id: 'g2', expiresAt: inMs(60_000) });
      const entries = await store.list('a1', new Date());
      expect(entries.map((e) => `${e.kind}:${e.id}`).sort()).toEqual(['grant:g1', 'session:s1']);
      expect(entries.find((e) => e.id === 'g1')!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 100_000);
      expect(await store.list('a1', inMs(200_000))).toEqual([]);
      await store.forget('a1');
      expect(await store.list('a1', new Date())).toEqual([]);
      expect(await store.list('a2', new Date())).toHaveLength(1);
    });
  });
}
